package corpus

import (
	"strings"
	"testing"
)

// A typical line of the arXiv listings sample (2.4 KB, lists of authors and
// categories, a long abstract), the ingest hot path's common case.
const benchArxivLine = `{"id": "2503.11685", "title": "CORDIC Is All You Need", "abstract": "Artificial intelligence necessitates adaptable hardware accelerators for efficient high-throughput million operations. We present pipelined architecture with CORDIC block for linear MAC computations and nonlinear iterative Activation Functions (AF) such as $tanh$, $sigmoid$, and $softmax$. This approach focuses on a Reconfigurable Processing Engine (RPE) based systolic array, with 40\\% pruning rate, enhanced throughput up to 4.64$\\times$, and reduction in power and area by 5.02 $\\times$ and 4.06 $\\times$ at CMOS 28 nm, with minor accuracy loss. FPGA implementation achieves a reduction of up to 2.5 $\\times$ resource savings and 3 $\\times$ power compared to prior works. The Systolic CORDIC engine for Reconfigurability and Enhanced throughput (SYCore) deploys an output stationary dataflow with the CAESAR control engine for diverse AI workloads such as Transformers, RNNs/LSTMs, and DNNs for applications like image detection, LLMs, and speech recognition. The energy-efficient and flexible approach extends the enhanced approach for edge AI accelerators supporting emerging workloads.", "authors": ["Omkar Kokane", "Adam Teman", "Anushka Jha", "Guru Prasath SL", "Gopal Raut", "Mukul Lokhande", "S. V. Jaya Chand", "Tanushree Dewangan", "Santosh Kumar Vishvakarma"], "categories": ["cs.AR", "cs.CV", "eess.IV"], "primary_category": "cs.AR", "fields": ["Computer Science", "Electrical Engineering and Systems Science"], "year": 2025, "month": 3, "listing_date": "2025-03-18", "url": "https://arxiv.org/abs/2503.11685", "source_repos": ["dw-dengwei/daily-arXiv-ai-enhanced"], "comment": "Accepted at IEEE ISCAS 2025, 5 pages, 6 figures"}`

const benchSnapshotLine = `{"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan","title":"Calculation of prompt diphoton production cross sections at Tevatron\n  energies","comments":"37 pages, 15 figures; published version","journal-ref":"Phys.Rev.D76:013009,2007","doi":"10.1103/PhysRevD.76.013009","report-no":"ANL-HEP-PR-07-12","categories":"hep-ph","license":null,"abstract":"  A fully differential calculation in perturbative quantum chromodynamics is\npresented for the production of massive photon pairs at hadron colliders. All\nnext-to-leading order perturbative contributions from quark-antiquark,\ngluon-(anti)quark, and gluon-gluon subprocesses are included, as well as\nall-orders resummation of initial-state gluon radiation valid at\nnext-to-next-to-leading logarithmic accuracy. The region of phase space is\nspecified in which the calculation is most reliable. Good agreement is\ndemonstrated with data from the Fermilab Tevatron, and predictions are made for\nmore detailed tests with CDF and DO data.\n","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"}],"update_date":"2008-11-13","authors_parsed":[["Balázs","C.",""],["Berger","E. L.",""],["Nadolsky","P. M.",""],["Yuan","C. -P.",""]]}`

func benchDecode(b *testing.B, dec LineDecoder, line string) {
	data := []byte(line)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := dec(data)
		if err != nil {
			b.Fatal(err)
		}
		p.Normalize()
	}
}

func BenchmarkMappedDecoder(b *testing.B) {
	dec, err := MappedDecoder(nil, "arxiv")
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, dec, benchArxivLine)
}

func BenchmarkArxivDecoder(b *testing.B) {
	benchDecode(b, ArxivDecoder(""), benchSnapshotLine)
}

func BenchmarkChunkPaper(b *testing.B) {
	p := Paper{ID: "x", FullText: strings.Repeat(chunkTestText+"\n\n", 8)}
	b.SetBytes(int64(len(p.FullText)))
	b.ReportAllocs()
	for b.Loop() {
		ChunkPaper(&p, ChunkOptions{})
	}
}
