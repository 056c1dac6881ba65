package synth

// The vocabularies below are invented for this generator. Topic term lists
// are ordered roughly from most to least characteristic, since terms are
// drawn with Zipf weights by position.

// A vocabulary group is shared by the topics of one broad area, so that
// neighbouring topics overlap as real ones do.
const (
	groupCS = iota
	groupPhys
	groupBio
	groupMed
	groupMath
	numGroups
)

var groupTerms = [numGroups]string{
	groupCS: `model data algorithm learning system network performance training
evaluation framework architecture optimization inference representation efficiency
scalability latency throughput dataset benchmark accuracy robustness generalization
complexity implementation memory computation hardware software pipeline baseline
parameters features embedding gradient sampling distributed graph index query cache
protocol interface compiler runtime deployment adversarial uncertainty supervision
annotation retrieval classification regression clustering prediction verification
scheduling workload encoder decoder transformer attention pretraining`,
	groupPhys: `energy field particle quantum spin phase transition temperature lattice
symmetry interaction coupling scattering momentum wave frequency spectrum amplitude
density potential Hamiltonian excitation dispersion resonance magnetic electric mass
charge vacuum dynamics equilibrium fluctuation correlation entropy perturbation
renormalization gauge boundary measurement detector observation simulation theory
emission radiation relativistic nonlinear oscillation decay collision polarization
coherence anisotropy topology thermal kinetic nucleation`,
	groupBio: `gene protein cell expression sequence genome mutation regulation pathway
signaling receptor tissue organism species population evolution selection variation
transcription RNA DNA enzyme binding structure function membrane metabolism phenotype
genotype molecular cellular development differentiation chromatin sequencing assay
interaction fitness adaptation lineage homeostasis knockout isoform promoter
microscopy conservation divergence inheritance allele`,
	groupMed: `patients clinical treatment therapy trial cohort diagnosis outcome risk
mortality disease hospital dose efficacy safety adverse symptoms prognosis biomarker
screening incidence prevalence intervention randomized placebo follow-up survival
chronic acute imaging surgery drug comorbidity admission readmission guideline
retrospective prospective multicentre hazard odds sensitivity specificity referral
caregivers outpatient inpatient remission relapse`,
	groupMath: `theorem proof space function operator group algebra manifold measure
bound estimate inequality convergence equation solution dimension invariant conjecture
lemma map category variety module ring polynomial sequence series integral
asymptotic existence uniqueness regularity compact metric norm eigenvalue spectrum
kernel lattice graph random process distribution moment characterization
construction duality`,
}

// topicSpec is one research topic: a venue name, a vocabulary group, arXiv
// style categories (primary first, then possible cross-lists) and its own
// terms.
type topicSpec struct {
	name   string
	group  int
	cats   []string
	weight float64 // relative number of papers
	terms  string
}

var topicSpecs = []topicSpec{
	{"Machine Learning", groupCS, []string{"cs.LG", "stat.ML", "cs.AI"}, 10, `neural
deep reinforcement policy reward agent generative diffusion variational latent
contrastive self-supervised federated meta-learning few-shot continual kernel bandit
regret dropout normalization overfitting hyperparameter convex stochastic
distillation pruning quantization calibration ensemble boosting`},
	{"Natural Language Processing", groupCS, []string{"cs.CL", "cs.AI", "cs.LG"}, 9, `language
text token tokenization corpus translation summarization parsing syntax semantic
lexical entity question answering dialogue prompt instruction multilingual
morphology sentiment discourse coreference hallucination alignment decoding
vocabulary perplexity reasoning speech annotation`},
	{"Computer Vision", groupCS, []string{"cs.CV", "cs.LG", "eess.IV"}, 9, `image
visual segmentation detection object pixel convolutional video camera depth stereo
pose tracking recognition scene rendering reconstruction point-cloud optical-flow
super-resolution denoising augmentation backbone bounding LiDAR texture
illumination occlusion keypoint multiview`},
	{"Information Retrieval", groupCS, []string{"cs.IR", "cs.CL", "cs.DB"}, 4, `ranking
relevance search document recommendation click user collaborative filtering
sparse dense lexical reranking passage corpus session personalization
query-expansion inverted-index BM25 precision recall nDCG feedback
cold-start implicit catalogue exposure fairness`},
	{"Databases", groupCS, []string{"cs.DB", "cs.DS"}, 3, `transaction relational SQL
join storage tuple schema consistency isolation replication partitioning
materialized view cardinality planner columnar compression B-tree log recovery
concurrency snapshot OLAP OLTP lakehouse key-value serializability
vectorized predicate`},
	{"Distributed Computing", groupCS, []string{"cs.DC", "cs.NI", "cs.OS"}, 4, `cluster
consensus fault-tolerance replication cloud serverless container microservice
scheduler straggler elasticity byzantine leader gossip checkpoint datacenter
MapReduce stream accelerator GPU RDMA sharding load-balancing autoscaling
heterogeneous edge orchestration tail-latency`},
	{"Cryptography and Security", groupCS, []string{"cs.CR", "cs.SE"}, 4, `attack
vulnerability encryption cryptographic signature zero-knowledge malware privacy
authentication key threat side-channel fuzzing exploit firewall intrusion
homomorphic post-quantum blockchain smart-contract differential-privacy phishing
obfuscation sandbox provenance leakage forensics`},
	{"Programming Languages", groupCS, []string{"cs.PL", "cs.SE", "cs.LO"}, 2, `type
semantics compiler program static dynamic analysis verification refinement
polymorphism lambda calculus effect ownership borrow garbage-collection
interpreter bytecode optimization synthesis refactoring concurrency linearizability
soundness monad dependent inference`},
	{"Robotics", groupCS, []string{"cs.RO", "cs.LG", "eess.SY"}, 4, `robot manipulation
grasping locomotion control planning trajectory motion navigation sensor actuator
legged humanoid teleoperation imitation sim-to-real odometry SLAM mapping
collision-avoidance dexterous gripper torque kinematics swarm drone
tactile`},
	{"Algorithms and Complexity", groupCS, []string{"cs.DS", "cs.CC", "math.CO"}, 3, `approximation
polynomial-time NP-hard hardness reduction lower-bound randomized online
competitive streaming sublinear matching flow cut shortest-path spanning
parameterized fixed-parameter combinatorial submodular sketch hashing dynamic
amortized oracle quantum-query`},
	{"Human-Computer Interaction", groupCS, []string{"cs.HC", "cs.CY"}, 3, `user
interaction interface usability participants study design accessibility visualization
haptic gesture crowdsourcing survey interview qualitative engagement
collaboration wearable augmented-reality virtual-reality feedback cognitive
workload trust explainability older-adults`},
	{"Networking", groupCS, []string{"cs.NI", "eess.SP"}, 3, `wireless packet
routing bandwidth congestion TCP 5G spectrum MIMO antenna channel throughput
latency mobile vehicular satellite IoT sensor-network mesh beamforming handover
software-defined traffic queue loss jitter`},
	{"Condensed Matter", groupPhys, []string{"cond-mat.str-el", "cond-mat.mtrl-sci", "cond-mat.supr-con"}, 4, `superconductivity
electron Fermi magnon phonon spin-orbit topological insulator graphene moiré
band-structure Hubbard Kondo antiferromagnetic ferromagnetic skyrmion quasiparticle
heterostructure semimetal Weyl Dirac exciton conductivity Hall
pairing nematic`},
	{"Quantum Information", groupPhys, []string{"quant-ph", "cs.ET"}, 4, `qubit
entanglement quantum-circuit gate error-correction decoherence fidelity
teleportation superposition measurement-based variational tomography noise
photonic trapped-ion superconducting-qubit annealing quantum-advantage
channel capacity key-distribution stabilizer surface-code`},
	{"High Energy Theory", groupPhys, []string{"hep-th", "gr-qc", "math-ph"}, 3, `string
holography AdS/CFT brane supersymmetry conformal anomaly duality black-hole
compactification moduli instanton scattering-amplitude Wilson-loop swampland
de-sitter inflaton worldsheet Chern-Simons bootstrap entanglement-entropy
holographic`},
	{"Particle Phenomenology", groupPhys, []string{"hep-ph", "hep-ex"}, 3, `collider LHC
higgs boson quark gluon neutrino dark-matter lepton hadron cross-section
branching-ratio jet standard-model axion flavour CP-violation electroweak
parton luminosity decay-width QCD sterile oscillation`},
	{"Cosmology", groupPhys, []string{"astro-ph.CO", "gr-qc"}, 3, `cosmological
inflation dark-energy redshift CMB baryon acoustic galaxy-survey lensing
hubble-tension power-spectrum primordial reionization halo large-scale-structure
matter-density supernova expansion anisotropies n-body neutrino-mass
tensor-to-scalar`},
	{"Galaxies and Stars", groupPhys, []string{"astro-ph.GA", "astro-ph.SR", "astro-ph.HE"}, 3, `galaxy
star stellar accretion black-hole quasar nebula interstellar dust metallicity
spectroscopic photometric luminosity star-formation binary pulsar exoplanet
gravitational-wave merger telescope magnetar outflow disk`},
	{"Optics and Photonics", groupPhys, []string{"physics.optics", "quant-ph"}, 2, `laser
photonic waveguide metasurface nonlinear-optics frequency-comb resonator fibre
plasmonic soliton pulse femtosecond refractive-index microcavity lithography
interferometer diffraction beam holography silicon-photonics modulator
single-photon`},
	{"Fluid Dynamics", groupPhys, []string{"physics.flu-dyn", "math.AP"}, 2, `turbulence
flow viscosity Reynolds vortex boundary-layer Navier-Stokes convection drag
shear instability droplet bubble jet wake mixing rotating stratified Lagrangian
Eulerian large-eddy direct-numerical-simulation multiphase`},
	{"Genomics", groupBio, []string{"q-bio.GN", "cs.LG", "stat.AP"}, 3, `genomic
variant single-cell RNA-seq transcriptome epigenetic methylation enhancer
genome-wide association GWAS haplotype copy-number alignment assembly
long-read annotation eQTL CRISPR regulatory-element pangenome splicing
barcoding`},
	{"Neuroscience", groupBio, []string{"q-bio.NC", "cs.NE"}, 3, `neuron neural
cortex synaptic spike hippocampus plasticity dendritic firing oscillations
fMRI EEG connectivity behaviour memory decision sensory motor dopamine
circuit calcium-imaging optogenetics cognition attention`},
	{"Protein Structure", groupBio, []string{"q-bio.BM", "physics.bio-ph"}, 2, `folding
conformational residue ligand docking binding-site molecular-dynamics
allosteric cryo-EM crystal backbone side-chain disorder aggregation
free-energy mutagenesis antibody epitope coevolution structure-prediction
complex`},
	{"Evolution and Ecology", groupBio, []string{"q-bio.PE", "q-bio.QM"}, 2, `ecological
biodiversity habitat predator prey phylogenetic speciation extinction
dispersal community climate abundance niche coexistence migration
biogeography demography drift gene-flow hybridization invasive
trait`},
	{"Cell Biology", groupBio, []string{"q-bio.CB", "q-bio.SC"}, 2, `mitochondria
cytoskeleton organelle autophagy apoptosis cell-cycle mitosis stem-cell
migration adhesion vesicle trafficking microtubule actin organoid
proliferation senescence nucleus polarity extracellular-matrix`},
	{"Microbiology", groupBio, []string{"q-bio.OT", "q-bio.PE"}, 2, `bacterial
microbiome pathogen virus antibiotic resistance biofilm host infection
phage strain colonization gut quorum-sensing virulence metagenomic
commensal plasmid horizontal-transfer fungal`},
	{"Oncology", groupMed, []string{"med.ONC", "q-bio.TO"}, 3, `cancer tumour
oncology metastasis chemotherapy immunotherapy carcinoma radiotherapy
breast lung colorectal leukaemia lymphoma checkpoint-inhibitor staging
recurrence resection neoadjuvant targeted-therapy mutation-burden
progression-free`},
	{"Cardiology", groupMed, []string{"med.CARD"}, 2, `cardiac heart
cardiovascular hypertension atrial-fibrillation myocardial infarction stroke
coronary arrhythmia ejection-fraction heart-failure stent anticoagulant
cholesterol blood-pressure ECG echocardiography valve statin
angiography`},
	{"Infectious Disease", groupMed, []string{"med.ID", "q-bio.PE"}, 3, `infection
vaccine epidemic transmission COVID-19 influenza tuberculosis malaria HIV
outbreak reproduction-number contact-tracing seroprevalence antiviral
immunity surveillance quarantine variant vaccination antimicrobial
sepsis`},
	{"Neurology", groupMed, []string{"med.NEURO", "q-bio.NC"}, 2, `dementia
Alzheimer Parkinson epilepsy multiple-sclerosis cognitive-decline seizure
neurodegeneration migraine stroke-recovery brain-injury MRI amyloid tau
motor-symptoms deep-brain-stimulation neuropathy delirium
rehabilitation`},
	{"Medical Imaging", groupMed, []string{"eess.IV", "cs.CV", "med.RAD"}, 3, `radiology
CT MRI ultrasound X-ray segmentation lesion scan contrast reconstruction
radiomics histopathology slide mammography tomography dose-reduction
annotation registration deep-learning detection screening`},
	{"Public Health", groupMed, []string{"med.PH", "stat.AP"}, 2, `health
population policy socioeconomic inequality obesity smoking alcohol nutrition
physical-activity mental-health depression access insurance vaccination-coverage
mortality-rate life-expectancy deprivation urban rural
cross-sectional`},
	{"Pharmacology", groupMed, []string{"med.PHARM", "q-bio.BM"}, 2, `pharmacokinetic
pharmacodynamic dosing metabolite clearance toxicity drug-interaction
bioavailability half-life inhibitor agonist antagonist formulation
adverse-event repurposing polypharmacy prescription compound potency
exposure`},
	{"Algebraic Geometry", groupMath, []string{"math.AG", "math.NT"}, 2, `scheme
sheaf cohomology curve surface moduli stack divisor projective birational
singularity Hodge motive abelian-variety line-bundle intersection
toric derived-category mirror-symmetry fibration`},
	{"Number Theory", groupMath, []string{"math.NT", "math.AG"}, 2, `prime
modular-form L-function zeta elliptic-curve diophantine Galois arithmetic
congruence quadratic-form class-number rational-points automorphic sieve
additive multiplicative conductor height p-adic`},
	{"Probability", groupMath, []string{"math.PR", "math-ph"}, 2, `random-walk
Brownian martingale Markov stochastic percolation random-matrix ergodic
large-deviation mixing-time branching coupling limit-theorem Gaussian
interacting-particle diffusion stationary concentration hitting-time
scaling-limit`},
	{"Partial Differential Equations", groupMath, []string{"math.AP", "math.NA"}, 2, `elliptic
parabolic hyperbolic Sobolev weak-solution blow-up well-posedness
Schrödinger wave-equation Navier-Stokes-equations free-boundary
variational regularity-estimates dispersive energy-method viscosity-solution
homogenization finite-element`},
	{"Combinatorics", groupMath, []string{"math.CO", "cs.DM"}, 2, `graph-colouring
extremal Ramsey hypergraph permutation partition matroid tableau enumeration
generating-function chromatic tournament design poset polytope clique
independent-set expander bijection`},
	{"Optimization and Control", groupMath, []string{"math.OC", "eess.SY", "cs.LG"}, 3, `convex-optimization
nonconvex gradient-descent duality Lagrangian constraint linear-programming
semidefinite optimal-control feedback stability Lyapunov model-predictive
first-order saddle-point proximal stochastic-approximation mixed-integer
robust-control`},
	{"Statistical Methodology", groupMath, []string{"stat.ME", "stat.TH", "stat.AP"}, 3, `estimator
likelihood Bayesian prior posterior bootstrap confidence-interval hypothesis-test
causal confounding propensity-score missing-data high-dimensional lasso
nonparametric mixed-effects survival-analysis time-series false-discovery
multiple-testing`},
}

// fieldOf maps a category code to its broad field, as arXiv groups them.
func fieldOf(code string) string {
	switch {
	case hasPrefix(code, "cs."):
		return "Computer Science"
	case hasPrefix(code, "math."):
		return "Mathematics"
	case hasPrefix(code, "stat."):
		return "Statistics"
	case hasPrefix(code, "q-bio."):
		return "Quantitative Biology"
	case hasPrefix(code, "eess."):
		return "Electrical Engineering and Systems Science"
	case hasPrefix(code, "med."):
		return "Medicine"
	}
	return "Physics" // cond-mat, quant-ph, hep-*, astro-ph, gr-qc, physics.*, math-ph
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// Academic glue shared by every topic.
var (
	adjectives = words(`efficient robust scalable novel unified adaptive
principled interpretable hierarchical accurate lightweight generalizable
systematic comprehensive simple effective theoretical empirical joint
multi-scale data-driven probabilistic structured consistent sparse stable
fast improved`)
	methodNouns = [][2]string{{"method", "methods"}, {"approach", "approaches"},
		{"framework", "frameworks"}, {"model", "models"}, {"analysis", "analyses"},
		{"technique", "techniques"}, {"algorithm", "algorithms"}, {"estimator", "estimators"},
		{"strategy", "strategies"}, {"formulation", "formulations"}}
	verbs = words(`improves reduces outperforms enables captures explains
predicts stabilises accelerates recovers matches generalises quantifies
constrains`)
	// Dataset nouns differ by area: papers measure "patients" in medicine
	// and "benchmarks" in computer science.
	dataNouns = [numGroups][]string{
		groupCS:   words(`benchmarks datasets tasks corpora workloads domains`),
		groupPhys: words(`samples simulations measurements configurations runs observations`),
		groupBio:  words(`samples species strains genomes cell-lines individuals`),
		groupMed:  words(`patients cohorts hospitals trials centres participants`),
		groupMath: words(`instances examples cases families regimes settings`),
	}
)

// Title patterns, 8 to 15 words each. {T} is a topic term, {A} an
// adjective, {M} a method noun, {Ms} its plural.
var titlePatterns = []string{
	"{A} {T} {M} for {T} {T} with {T} {T}",
	"Towards {A} {T} {T}: a {T} {M} for {T} {T}",
	"On the {T} of {T} {T} in {A} {T} {T}",
	"Learning {T} {T} from {T} {T} via {A} {T} {Ms}",
	"a {A} {M} of {T} {T} in {T} {T} under {T} {T}",
	"{T} {T} {T}: {A} {T} {Ms} for {T} {T} and {T} {T}",
	"Revisiting {T} {T} for {A} {T} {T} in the {T} {T} Regime",
	"The Role of {T} in {T} {T}: Evidence from {A} {T} {T} {Ms}",
	"{A} {T} {T} Using {T} {T} and {A} {T} {Ms}",
	"Quantifying {T} {T} across {T} {T} with {A} {T} {T} {Ms}",
	"When Does {T} {T} Improve {T} {T}? a {A} {T} {M}",
	"{T} {T} Meets {T} {T}: {A} {Ms} for {T} {T} at Scale",
	"Beyond {T} {T}: {A} {T} {T} for {T} {T} {Ms}",
	"a {A} {T} {M} for {T} {T} and {T} {T} in {T} {T}",
	"Understanding {T} in {A} {T} {T} through {T} {T}",
	"{A} and {A} {T} {T} for {T} {T} {T}",
	"{E}: {A} {T} {Ms} for {T} {T} and {T}",
	"{E} Revisited: {T} {T} and {A} {T} in {T} {T}",
}

// Abstract sentences by stage, in the order abstracts use them: context,
// gap, contribution, method, results, outlook. {D} is a dataset noun, {E} a
// named entity of the topic (a model, gene, drug, source or theorem), {N} a
// small count and {P} a percentage.
var sentenceStages = [][]string{
	{ // context
		"{T} {T} is a central problem in {T} and underpins many applications of {T} {T} and {T}.",
		"over the past decade, {T} has become a standard tool for the study of {T} {T} in {A} settings.",
		"understanding how {T} interacts with {T} {T} remains one of the open questions of {T} research.",
		"recent work on {E} and related {Ms} has renewed interest in {T} {T} and its connection to {T}.",
		"the {T} of {T} {T} determines how well {Ms} for {T} behave in practice.",
		"many problems in {T} reduce to estimating {T} {T} from {A} and often incomplete {T}.",
		"{A} {T} {Ms} are widely used for {T} {T}, yet their behaviour under {T} is poorly understood.",
		"interest in {T} {T} has grown quickly, driven by advances in {T} and the availability of {A} {D}.",
	},
	{ // gap
		"existing {Ms} for {T} {T} rely on {A} {T}, which limits their {T} when {T} changes.",
		"however, current approaches treat {T} and {T} separately and ignore the {T} between them.",
		"a key challenge is that {T} {T} is often {A} and depends strongly on {T} and {T}.",
		"despite this progress, little is known about how {T} {T} affects {T} at the scale of real {D}.",
		"prior studies of {E} were limited to {A} {T} and did not account for {T} {T}.",
		"these {Ms} scale poorly with {T}, and their {T} degrades sharply under {A} {T}.",
		"no {A} {M} currently captures both the {T} and the {T} of {T} {T}.",
	},
	{ // contribution
		"in this work we propose a {A} {M} that combines {T} {T} with {T} to address these limitations.",
		"we introduce {E}, a {A} {M} for {T} {T} that exploits the {T} of {T}.",
		"we study the {T} of {T} {T} in {A} {T} settings and give a {A} characterisation of {T}.",
		"here we present a {A} {M} of {T} {T} built on {T} and {A} {T}.",
		"our main contribution is a {A} {M} for {T} that remains {A} even when {T} is scarce.",
		"we develop a {A} treatment of {T} {T} and apply it to {E} and {E}.",
		"to close this gap, we formulate {T} {T} as a problem of {T} and solve it with {A} {Ms}.",
	},
	{ // method
		"our {M} {V} {T} {T} by modelling {T} and {T} jointly within one {A} {M}.",
		"the {M} first estimates {T} from {T} {T} and then refines the {T} with {A} {T}.",
		"we derive {A} bounds on {T} {T} and show that {T} {V} {T} under mild assumptions on {T}.",
		"the {T} {T} is characterised by {A} {T} and {T} {T}, which we measure directly.",
		"using {N} {D}, we estimate {T} {T} with {A} {T} and compare the result with {E}.",
		"we combine {A} {T} with {T} {T}, so that the {M} adapts to changes in {T}.",
		"a {A} analysis of {T} guides the choice of {T}, and {T} {T} is handled by {A} {Ms}.",
		"all {Ms} are evaluated under the same {T} protocol, with {T} and {T} held fixed.",
	},
	{ // results
		"experiments on {N} {D} show that the proposed {M} {V} {T} by {P} percent relative to {A} baselines.",
		"compared with {E}, our {M} requires {N} times fewer {T} while preserving {T} and {T}.",
		"our analysis reveals {A} {T} in {T} {T}, consistent with earlier reports on {T} {T}.",
		"ablation studies confirm that both {T} and {T} contribute to the {A} performance of the {M}.",
		"across {N} {D}, the {M} {V} {T} {T} consistently and remains {A} under {T}.",
		"we further analyse the effect of {T} on {T} {T} and find a {A} dependence on {T}.",
		"we validate the {M} on {N} {D} spanning {T} and {T} {T}, where it {V} {E}.",
		"the gains are largest for {A} {T}, where {T} {T} improves by up to {P} percent.",
	},
	{ // outlook
		"these results suggest that {T} {T} plays a key role in {T} and deserves further study.",
		"finally, we discuss implications for {T} {T} and open problems in {T} and {T}.",
		"we also release {A} {T} {D} and code to support further research on {T} {T}.",
		"our findings point to {A} {Ms} as a practical route to {T} in {T} {T}.",
		"the approach extends naturally to {T} and to other {A} {T} problems.",
	},
}

// stageShare is the part of an abstract's length reached by the end of
// each stage; results get the most room, as in real abstracts.
var stageShare = []float64{0.12, 0.24, 0.4, 0.62, 0.9, 1}

// Named entities are invented names built from syllables: model and system
// names in computer science, instruments and sources in physics, genes in
// biology, drugs in medicine, eponymous results in mathematics. Each topic
// has a large pool drawn with Zipf weights, which gives the corpus the long
// vocabulary tail of real text.
var (
	syllables  = words(`ka lo ve ri ton mar sel dri qua nor bel fen zu pra lin tor ex ar vin so cal mi ra dex phi lu gen or ta ne`)
	entityEnds = [numGroups][]string{
		groupCS:   {"Net", "Former", "Bench", "DB", "Flow", "Graph", "Lite", "-2", "-3", "-XL", ""},
		groupPhys: {"", "-I", "-II", "X", "-S"},
		groupBio:  {"", "A", "B", "1", "2"},
		groupMed:  {"mab", "nib", "vir", "pril", "sartan", "zole", "statin", "parin", "cillin"},
		groupMath: {"inequality", "conjecture", "operator", "lemma", "space", "construction"},
	}
)

// Names for the author pool: every given name is combined with every
// surname. Surnames are partly listed and partly built from roots and
// endings, which gives a thousand plausible ones from a short list.
var (
	givenNames = words(`James Mary Robert Patricia John Jennifer Michael Linda David
Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Daniel Karen
Matthew Lisa Anthony Nancy Mark Sandra Paul Ashley Steven Emily Andrew Michelle
Joshua Amanda Kevin Melissa Brian Stephanie George Rebecca Timothy Laura Jason
Rachel Ryan Anna Jacob Hannah Ethan Olivia Noah Emma Lucas Sophie Leon Mia Felix
Clara Jonas Lena Paul Marie Lukas Julia Tobias Katrin Henrik Ingrid Lars Astrid
Erik Sofia Mikkel Freya Matteo Giulia Luca Chiara Marco Francesca Alessandro
Elena Pierre Camille Julien Chloé Antoine Léa Nicolas Manon Javier Lucía
Alejandro Carmen Diego Isabel Pablo Marta Mateus Beatriz João Ana Rafael
Mariana Dmitri Olga Ivan Natalia Sergei Yulia Piotr Agnieszka Tomasz Katarzyna
Jan Zuzana Wei Li Jing Ying Hao Xin Yan Lei Jun Mei Tao Fang Bo Lin Chen Hui Min
Yu Qiang Ling Hiroshi Yuki Takashi Aiko Kenji Haruka Satoshi Naoko Daiki Emi
Min-jun Seo-yeon Ji-hoon Ha-eun Arjun Priya Rahul Ananya Vikram Deepa Sanjay
Kavya Rohan Meera Amit Sunita Aditya Lakshmi Mohammed Fatima Ahmed Aisha Omar
Layla Yusuf Zeynep Mehmet Elif Ali Leila Reza Shirin Kwame Amara Chinedu Ngozi
Tendai Nia Kofi Ayodele Thabo Zanele Mateo Valentina Santiago Camila Tomás
Catalina Nguyen Linh Minh Thu Anh Siddharth Ishaan Tariq Noor Elias Nora
Samuel Alice Oscar Ida Hugo Elsa Viktor Maja Aleksander Iga`)
	surnameList = words(`Smith Johnson Williams Brown Jones Miller Davis Wilson
Anderson Taylor Thomas Moore Martin Jackson Thompson White Harris Clark Lewis
Robinson Walker Young Allen King Wright Scott Green Baker Adams Nelson Hill
Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards
Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly
Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao
Luo Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan
Yuan Cai Jiang Yu Du Ye Cheng Wei Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim
Han Shin Oh Seo Kwon Hwang Song Nguyen Tran Le Pham Hoang Vu Dang Bui Do Ngo
Sharma Patel Singh Kumar Gupta Reddy Iyer Nair Rao Das Mehta Joshi Chatterjee
Banerjee Mukherjee Bose Pillai Menon Desai Kulkarni Agarwal Verma Mishra Pandey
Khan Ahmed Hussain Rahman Ali Hassan Ibrahim Mahmoud Haddad Nasser Yilmaz Kaya
Demir Şahin Çelik Öztürk Aydın Arslan Hosseini Rahimi Karimi Moradi García
Rodríguez Martínez López González Hernández Pérez Sánchez Ramírez Torres Flores
Rivera Gómez Díaz Morales Ortiz Castro Romero Ruiz Alvarez Moreno Jiménez Silva
Santos Oliveira Souza Costa Pereira Almeida Ferreira Carvalho Gomes Ribeiro
Martins Rocha Dubois Durand Lefebvre Moreau Laurent Simon Michel Garnier Rousseau
Fontaine Chevalier Mercier Blanc Guerin Boyer Müller Schmidt Schneider Fischer
Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Schröder Neumann
Schwarz Zimmermann Braun Krüger Hartmann Lange Werner Krause Köhler Jansen Bakker Visser Smit Mulder Bos Dijkstra Okafor Adeyemi Mensah Owusu Nkosi
Dlamini Mwangi Otieno Kamau Abebe Tesfaye Haile Ivanov Smirnov Kuznetsov Popov
Sokolov Lebedev Kozlov Novikov Morozov Volkov Petrov Pavlov Fedorov Nowak
Kowalczyk Wójcik Kamiński Lewandowski Zieliński Szymański Dąbrowski Novák
Svoboda Dvořák Horváth Nagy Tóth Szabó Kovács Papadopoulos Georgiou Nikolaidis
Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsen Hansen Nielsen
Jensen Pedersen Kristensen Korhonen Virtanen Mäkinen Nieminen O'Brien O'Connor
Murray Quinn Gallagher Doyle Byrne Fitzgerald MacDonald Fraser Cameron Sato
Suzuki Takahashi Watanabe Ito Kobayashi Kato Yoshida Sasaki Inoue Kimura
Hayashi Shimizu Mori Abe Ikeda Ogawa Okada Goto Fujita Rossi Russo Ferrari
Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
Costa Giordano Mancini Rizzo Lombardi Moretti Barbieri Fontana Santoro`)
	// Roots and endings go together by naming tradition, so that
	// "Yamamoto" and "Lindqvist" come out but not "Yamaqvist".
	surnameParts = [][2]string{
		{"Berg Stein Wald Rosen Lind Brand Eck Grün Hof Kauf Hart Kirch Baum Schön Stark Wein Silber Gold Horn Linden", "mann er feld berg stein hoff"},
		{"Holm Sand Dahl Lund Ny Sjö Åker Strand Ek Björk Häll Fors Nord Sund Wall", "ström lund qvist gren berg dahl"},
		{"Kowal Nowa Lewan Zielin Grabow Pawl Jabłon Mazur Wrob Dąbrow Kozł Sobol Jasin Wasil Sikor", "ski czyk ewicz"},
		{"Ross Ferr Ricc Marin Gall Moret Sant Cast Fior Mart Cap Vit Orland Serr Leon Bell Borr Pell Fabbr Gent", "i etti elli ini one"},
		{"Yama Naka Matsu Hashi Iwa Kawa Fuji Ishi Taka Oka Kita Miya Nishi Hoshi Mori", "moto mura guchi shita saki hara zawa no ta da"},
	}
)
