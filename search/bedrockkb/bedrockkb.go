// Package bedrockkb is a read-only search engine over an Amazon Bedrock
// knowledge base: searches go to the Retrieve API of
// bedrock-agent-runtime, Quire's filters become its RetrievalFilter
// (filter.go), and the passages that come back become papers, one per
// paper ID, from the metadata keys the configuration names. Writing is
// the knowledge base's business: its data source is synced by Bedrock.
package bedrockkb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"

	"github.com/quire-research/quire/config/awsconfig"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/backoff"
	"github.com/quire-research/quire/search/highlight"
)

// Name is the engine's kind, as config and Stats spell it.
const Name = "bedrock-kb"

// ErrReadOnly refuses every write.
var ErrReadOnly = errors.New("bedrock-kb is read-only: ingest into the knowledge base's data source instead (and sync it in Bedrock)")

// ErrNoBM25 refuses --mode bm25: Retrieve offers semantic and hybrid
// search only.
var ErrNoBM25 = errors.New("bedrock-kb cannot search in bm25 mode (Retrieve offers only vector, i.e. SEMANTIC, and hybrid search): use --mode hybrid or --mode vector")

// ErrUncountable is Count's answer: Retrieve returns top passages, and
// nothing in the API counts a knowledge base's documents.
var ErrUncountable = errors.New("bedrock-kb cannot count the knowledge base's papers")

// FacetNote is why a bedrock-kb search shows no facets.
const FacetNote = "facets unavailable: a knowledge base returns its top passages, not counts over every match"

// MaxResults is the most passages one Retrieve call returns.
const MaxResults = 100

// MaxQueryChars is the longest query text Retrieve takes.
const MaxQueryChars = 1000

// maxPages bounds the Retrieve calls of one search.
const maxPages = 20

// Keys maps paper fields (config.MetadataFields) to metadata keys.
type Keys map[string]string

// DefaultKeys reads each field from the key of its own name.
func DefaultKeys() Keys {
	return Keys{"id": "id", "title": "title", "year": "year", "authors": "authors", "venue": "venue",
		"fields": "fields", "categories": "categories", "source": "source", "doi": "doi", "url": "url"}
}

// Options configure the engine.
type Options struct {
	KnowledgeBaseID string
	// Region and Profile choose the AWS configuration (awsconfig.Load).
	Region, Profile string
	// Endpoint replaces the service's (a VPC endpoint, a test server).
	Endpoint string
	// Credentials replaces the SDK's chain (static ones in tests).
	Credentials aws.CredentialsProvider
	// Keys maps paper fields to metadata keys; nil is DefaultKeys. Fields
	// left out are not read or filtered on.
	Keys Keys
	// Mode is the mode of a request without one: hybrid (default) or
	// vector.
	Mode string
	// Backoff retries throttling and server faults.
	Backoff backoff.Policy
	// Remember bounds how many papers Get can return (those the last
	// searches saw); default 10,000.
	Remember int
}

// Engine is a knowledge base behind search.Engine.
type Engine struct {
	o      Options
	client *bedrockagentruntime.Client

	mu   sync.Mutex
	seen map[string]corpus.Paper
	fifo []string // seen's IDs, oldest first
}

var _ search.Engine = (*Engine)(nil)

// Open makes a client; it calls nothing, so it works offline and fails
// at the first search when the knowledge base is out of reach.
func Open(ctx context.Context, o Options) (*Engine, error) {
	if o.KnowledgeBaseID == "" {
		return nil, errors.New("bedrock-kb: no knowledge base ID ([engine] knowledge_base_id)")
	}
	if o.Keys == nil {
		o.Keys = DefaultKeys()
	}
	if o.Mode == "" {
		o.Mode = search.ModeHybrid
	}
	if o.Remember <= 0 {
		o.Remember = 10_000
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Region: o.Region, Profile: o.Profile, Credentials: o.Credentials, BaseEndpoint: o.Endpoint})
	if err != nil {
		return nil, err
	}
	o.Region = cfg.Region
	return &Engine{o: o, client: bedrockagentruntime.NewFromConfig(cfg), seen: map[string]corpus.Paper{}}, nil
}

// Apply refuses: the knowledge base is written through its data source.
func (e *Engine) Apply(context.Context, *search.Batch) error { return ErrReadOnly }

// Checkpoint: nothing is ingested through Quire.
func (e *Engine) Checkpoint(context.Context, string) (search.Checkpoint, bool, error) {
	return search.Checkpoint{}, false, nil
}

// Close has nothing to release.
func (e *Engine) Close() error { return nil }

// Mode is the mode of a request without one.
func (e *Engine) Mode() string {
	if e.o.Mode == search.ModeBM25 {
		return search.ModeHybrid
	}
	return e.o.Mode
}

// HasVectors: the knowledge base is a vector store.
func (e *Engine) HasVectors() bool { return true }

// Count cannot be answered (ErrUncountable).
func (e *Engine) Count() (uint64, error) { return 0, ErrUncountable }

// Describe names the knowledge base for people.
func (e *Engine) Describe() string {
	return fmt.Sprintf("knowledge base %s (%s)", e.o.KnowledgeBaseID, e.o.Region)
}

// Stats says what is known without counting: which knowledge base. Papers
// stays 0, as Count explains (ErrUncountable).
func (e *Engine) Stats(context.Context) (*search.Stats, error) {
	return &search.Stats{Engine: Name, Path: e.Describe()}, nil
}

// Get returns a paper a recent search returned: Retrieve cannot look one
// up by ID.
func (e *Engine) Get(_ context.Context, id string) (*corpus.Paper, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.seen[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s (a knowledge base has no lookup by ID; bedrock-kb knows the papers its searches returned)", search.ErrNotFound, id)
	}
	return &p, nil
}

func (e *Engine) remember(ps []corpus.Paper) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range ps {
		if _, ok := e.seen[p.ID]; !ok {
			e.fifo = append(e.fifo, p.ID)
		}
		e.seen[p.ID] = p
	}
	for len(e.fifo) > e.o.Remember {
		delete(e.seen, e.fifo[0])
		e.fifo = e.fifo[1:]
	}
}

// Search retrieves passages and groups them into papers.
func (e *Engine) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	start := time.Now()
	mode := req.Mode
	if mode == "" {
		mode = e.Mode()
	}
	var st types.SearchType
	switch mode {
	case search.ModeHybrid:
		st = types.SearchTypeHybrid
	case search.ModeVector:
		st = types.SearchTypeSemantic
	case search.ModeBM25:
		return nil, ErrNoBM25
	default:
		return nil, fmt.Errorf("bedrock-kb: unknown mode %q (use hybrid or vector)", mode)
	}
	if req.Offset < 0 || req.Limit < 0 || req.Offset+req.Limit > search.MaxWindow {
		return nil, fmt.Errorf("bedrock-kb: offset %d + limit %d is outside 0..%d", req.Offset, req.Limit, search.MaxWindow)
	}
	filter, err := translate(req.Query, e.o.Keys)
	if err != nil {
		return nil, err
	}
	res := &search.Result{Mode: mode}
	if len(req.Facets) > 0 {
		res.FacetNote = FacetNote
	}
	text := strings.TrimSpace(req.Query.Text)
	if text == "" {
		res.NoHits = &search.NoHits{Message: "a knowledge base retrieves by meaning: type words to search for"}
		return res, nil
	}
	if n := utf8.RuneCountInString(text); n > MaxQueryChars {
		return nil, fmt.Errorf("bedrock-kb: the query's words are %d characters; Retrieve takes at most %d (shorten the question)", n, MaxQueryChars)
	}
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	window := req.Offset + req.Limit
	if window == 0 {
		res.Took = time.Since(start)
		return res, nil
	}
	papers, err := e.retrieve(ctx, text, st, filter, window)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && req.Timeout > 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("bedrock-kb: the search ran out of its %s", req.Timeout)
		}
		return nil, err
	}
	e.remember(papers.list())
	res.Total = uint64(len(papers.order))
	var hl *highlight.Highlighter
	if req.Snippets || req.Passages {
		hl = highlight.New(highlight.English, req.Query)
	}
	for i := req.Offset; i < min(window, len(papers.order)); i++ {
		g := papers.byID[papers.order[i]]
		h := search.Hit{ID: g.paper.ID, Score: g.score, Paper: g.paper}
		if req.Snippets {
			h.Snippet = hl.Snippet(&h.Paper)
		}
		if req.Passages {
			h.Passages = hl.Passages(&h.Paper, g.passages[:min(len(g.passages), highlight.MaxPassages)], -1)
		}
		res.Hits = append(res.Hits, h)
	}
	if len(papers.order) == 0 {
		res.NoHits = &search.NoHits{Message: "the knowledge base returned no passages for this query and its filters"}
	}
	res.Took = time.Since(start)
	return res, nil
}

// retrieve calls Retrieve, page after page, until window papers are in
// hand or the service has no more.
func (e *Engine) retrieve(ctx context.Context, text string, st types.SearchType, filter types.RetrievalFilter, window int) (*grouped, error) {
	g := &grouped{byID: map[string]*group{}}
	// Several passages of one paper can come back: ask for more than the
	// papers wanted, up to the service's maximum per call.
	n := int32(min(MaxResults, max(10, 3*window)))
	in := &bedrockagentruntime.RetrieveInput{
		KnowledgeBaseId: aws.String(e.o.KnowledgeBaseID),
		RetrievalQuery:  &types.KnowledgeBaseQuery{Text: aws.String(text)},
		RetrievalConfiguration: &types.KnowledgeBaseRetrievalConfiguration{
			VectorSearchConfiguration: &types.KnowledgeBaseVectorSearchConfiguration{
				NumberOfResults: aws.Int32(n), OverrideSearchType: st, Filter: filter,
			},
		},
	}
	for page := 0; page < maxPages; page++ {
		var out *bedrockagentruntime.RetrieveOutput
		err := backoff.Retry(ctx, e.o.Backoff, func(ctx context.Context) error {
			var err error
			out, err = e.client.Retrieve(ctx, in)
			return e.classify(err)
		})
		if err != nil {
			return nil, err
		}
		for _, r := range out.RetrievalResults {
			g.add(e.paper(r))
		}
		if len(g.order) >= window || out.NextToken == nil || *out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	return g, nil
}

// group is one paper's passages, best first. The knowledge base returns
// no more of a document than these, so they are the paper's full text,
// joined by blank lines, each passage with its place in it.
type group struct {
	paper    corpus.Paper
	score    float64
	passages []search.Passage
}

type grouped struct {
	byID  map[string]*group
	order []string // by best passage, as the service ranked them
}

func (g *grouped) add(p corpus.Paper, c retrieved) {
	x, ok := g.byID[p.ID]
	if !ok {
		x = &group{paper: p, score: c.score}
		g.byID[p.ID] = x
		g.order = append(g.order, p.ID)
	} else {
		x.paper.FullText += "\n\n"
	}
	x.score = max(x.score, c.score)
	start := len(x.paper.FullText)
	x.paper.FullText += c.text
	x.passages = append(x.passages, search.Passage{Index: len(x.passages), Page: c.page, PageEnd: c.page,
		Start: start, End: len(x.paper.FullText), Score: c.score})
}

func (g *grouped) list() []corpus.Paper {
	out := make([]corpus.Paper, 0, len(g.order))
	for _, id := range g.order {
		out = append(out, g.byID[id].paper)
	}
	return out
}
