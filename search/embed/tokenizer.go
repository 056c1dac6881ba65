package embed

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tokenizer is the subset of Hugging Face's tokenizer.json that static
// embedding models use: a normalizer, a pre-tokenizer and a WordPiece or
// Unigram model. Added tokens are not matched in the input text (a model
// never needs "[CLS]" typed by the user); they only mark special ids.
type tokenizer struct {
	normalize   func(string) string
	pretokenize func([]string) []string
	model       subwordModel
	vocab       []string // id → token, for tests and Tokens
	special     map[int]bool
	specialIDs  []bool // special, indexed by id, for the hot path
}

func (t *tokenizer) isSpecial(id int) bool { return id < len(t.specialIDs) && t.specialIDs[id] }

type subwordModel interface {
	// tokenize appends the ids of one pre-tokenized word.
	tokenize(word string, ids []int) []int
}

type tokenizerFile struct {
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         json.RawMessage `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
}

func parseTokenizer(data []byte) (*tokenizer, error) {
	var f tokenizerFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("bad tokenizer.json: %v", err)
	}
	t := &tokenizer{special: map[int]bool{}}
	var err error
	if t.normalize, err = buildNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if t.pretokenize, err = buildPreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	var m struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(f.Model, &m); err != nil {
		return nil, fmt.Errorf("bad tokenizer model: %v", err)
	}
	switch m.Type {
	case "WordPiece":
		t.model, t.vocab, err = buildWordPiece(f.Model)
	case "Unigram":
		t.model, t.vocab, err = buildUnigram(f.Model)
	case "":
		if strings.Contains(string(f.Model), `"continuing_subword_prefix"`) {
			t.model, t.vocab, err = buildWordPiece(f.Model)
		} else {
			err = fmt.Errorf("the tokenizer model has no type")
		}
	default:
		err = fmt.Errorf("tokenizer model type %q is not supported (WordPiece and Unigram are)", m.Type)
	}
	if err != nil {
		return nil, err
	}
	for _, a := range f.AddedTokens {
		if a.Special {
			t.special[a.ID] = true
		}
		for len(t.vocab) <= a.ID {
			t.vocab = append(t.vocab, "")
		}
		if t.vocab[a.ID] == "" {
			t.vocab[a.ID] = a.Content
		}
	}
	switch mm := t.model.(type) {
	case *wordPiece:
		if mm.unk >= 0 {
			t.special[mm.unk] = true
		}
	case *unigram:
		if mm.unk >= 0 {
			t.special[mm.unk] = true
		}
	}
	t.specialIDs = make([]bool, len(t.vocab))
	for id := range t.special {
		if id < len(t.specialIDs) {
			t.specialIDs[id] = true
		}
	}
	return t, nil
}

// encode returns the ids of text, stopping after limit ids (0: no limit).
func (t *tokenizer) encode(text string, limit int) []int {
	words := t.pretokenize([]string{t.normalize(text)})
	var ids []int
	for _, w := range words {
		if w == "" {
			continue
		}
		ids = t.model.tokenize(w, ids)
		if limit > 0 && len(ids) >= limit {
			return ids[:limit]
		}
	}
	return ids
}

// ---- normalizers

type component struct {
	Type string `json:"type"`
}

func buildNormalizer(raw json.RawMessage) (func(string) string, error) {
	if isNull(raw) {
		return func(s string) string { return s }, nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("bad tokenizer normalizer: %v", err)
	}
	switch c.Type {
	case "BertNormalizer":
		var o struct {
			CleanText          *bool `json:"clean_text"`
			HandleChineseChars *bool `json:"handle_chinese_chars"`
			StripAccents       *bool `json:"strip_accents"`
			Lowercase          *bool `json:"lowercase"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("bad BertNormalizer: %v", err)
		}
		clean, chinese, lower := orTrue(o.CleanText), orTrue(o.HandleChineseChars), orTrue(o.Lowercase)
		strip := lower // strip_accents: null follows lowercase
		if o.StripAccents != nil {
			strip = *o.StripAccents
		}
		return func(s string) string {
			if clean {
				s = cleanText(s)
			}
			if chinese {
				s = spaceChinese(s)
			}
			if strip {
				s = stripAccents(norm.NFD.String(s))
			}
			if lower {
				s = strings.Map(unicode.ToLower, s)
			}
			return s
		}, nil
	case "Lowercase":
		return func(s string) string { return strings.Map(unicode.ToLower, s) }, nil
	case "StripAccents":
		return stripAccents, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "NFC":
		return norm.NFC.String, nil
	case "NFKC", "Precompiled":
		// Precompiled carries SentencePiece's compiled normalisation
		// rules, which are NFKC plus small fixes; NFKC stands in for them.
		return norm.NFKC.String, nil
	case "Strip":
		var o struct {
			Left  bool `json:"strip_left"`
			Right bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("bad Strip normalizer: %v", err)
		}
		return func(s string) string {
			if o.Left {
				s = strings.TrimLeftFunc(s, unicode.IsSpace)
			}
			if o.Right {
				s = strings.TrimRightFunc(s, unicode.IsSpace)
			}
			return s
		}, nil
	case "Prepend":
		var o struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("bad Prepend normalizer: %v", err)
		}
		return func(s string) string {
			if s == "" {
				return s
			}
			return o.Prepend + s
		}, nil
	case "Replace":
		var o struct {
			Pattern struct {
				String *string `json:"String"`
				Regex  *string `json:"Regex"`
			} `json:"pattern"`
			Content string `json:"content"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("bad Replace normalizer: %v", err)
		}
		switch {
		case o.Pattern.String != nil:
			from := *o.Pattern.String
			return func(s string) string { return strings.ReplaceAll(s, from, o.Content) }, nil
		case o.Pattern.Regex != nil:
			re, err := regexp.Compile(*o.Pattern.Regex)
			if err != nil {
				return nil, fmt.Errorf("the Replace normalizer's pattern is not a regular expression Go supports: %v", err)
			}
			return func(s string) string { return re.ReplaceAllLiteralString(s, o.Content) }, nil
		}
		return nil, fmt.Errorf("the Replace normalizer has no pattern")
	case "Sequence":
		var o struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("bad normalizer Sequence: %v", err)
		}
		var fs []func(string) string
		for _, r := range o.Normalizers {
			f, err := buildNormalizer(r)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		return func(s string) string {
			for _, f := range fs {
				s = f(s)
			}
			return s
		}, nil
	}
	return nil, fmt.Errorf("tokenizer normalizer %q is not supported", c.Type)
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func orTrue(b *bool) bool { return b == nil || *b }

// cleanText drops NUL, U+FFFD and control characters and turns every
// whitespace character into a space, as BERT's normalizer does.
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == 0 || r == utf8.RuneError || isControl(r):
		case isBertSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

func isBertSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.White_Space, r)
}

func isChinese(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF ||
		r >= 0x20000 && r <= 0x2A6DF || r >= 0x2A700 && r <= 0x2B73F ||
		r >= 0x2B740 && r <= 0x2B81F || r >= 0x2B820 && r <= 0x2CEAF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x2F800 && r <= 0x2FA1F
}

func spaceChinese(s string) string {
	if !strings.ContainsFunc(s, isChinese) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isChinese(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripAccents removes nonspacing marks; after NFD that strips accents.
func stripAccents(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Mn, r) }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}

// ---- pre-tokenizers

func buildPreTokenizer(raw json.RawMessage) (func([]string) []string, error) {
	if isNull(raw) {
		return func(p []string) []string { return p }, nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("bad tokenizer pre_tokenizer: %v", err)
	}
	each := func(f func(string, []string) []string) func([]string) []string {
		return func(pieces []string) []string {
			var out []string
			for _, p := range pieces {
				out = f(p, out)
			}
			return out
		}
	}
	switch c.Type {
	case "BertPreTokenizer":
		return each(bertSplit), nil
	case "Whitespace":
		return each(whitespaceSplit), nil
	case "WhitespaceSplit":
		return each(func(s string, out []string) []string { return append(out, strings.Fields(s)...) }), nil
	case "Punctuation":
		return each(punctSplit), nil
	case "Metaspace":
		var o struct {
			Replacement    string `json:"replacement"`
			PrependScheme  string `json:"prepend_scheme"`
			AddPrefixSpace *bool  `json:"add_prefix_space"`
			Split          *bool  `json:"split"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("bad Metaspace pre-tokenizer: %v", err)
		}
		if o.Replacement == "" {
			o.Replacement = "▁"
		}
		if o.PrependScheme == "" {
			o.PrependScheme = "always"
			if o.AddPrefixSpace != nil && !*o.AddPrefixSpace {
				o.PrependScheme = "never"
			}
		}
		split := orTrue(o.Split)
		return func(pieces []string) []string {
			var out []string
			for i, p := range pieces {
				out = metaspace(p, o.Replacement, o.PrependScheme == "always" || o.PrependScheme == "first" && i == 0, split, out)
			}
			return out
		}, nil
	case "Sequence":
		var o struct {
			PreTokenizers []json.RawMessage `json:"pretokenizers"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("bad pre-tokenizer Sequence: %v", err)
		}
		var fs []func([]string) []string
		for _, r := range o.PreTokenizers {
			f, err := buildPreTokenizer(r)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		return func(p []string) []string {
			for _, f := range fs {
				p = f(p)
			}
			return p
		}, nil
	}
	return nil, fmt.Errorf("tokenizer pre_tokenizer %q is not supported", c.Type)
}

func isBertPunct(r rune) bool {
	return r < 128 && (r >= 33 && r <= 47 || r >= 58 && r <= 64 || r >= 91 && r <= 96 || r >= 123 && r <= 126) ||
		unicode.IsPunct(r)
}

// bertSplit splits on whitespace, which it drops, and around every
// punctuation character, which becomes a piece of its own.
func bertSplit(s string, out []string) []string {
	start := -1
	for i, r := range s {
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		case isBertPunct(r):
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			out = append(out, s[i:i+utf8.RuneLen(r)])
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// punctSplit isolates punctuation, keeping everything else as it is.
func punctSplit(s string, out []string) []string {
	start := 0
	for i, r := range s {
		if isBertPunct(r) {
			if start < i {
				out = append(out, s[start:i])
			}
			out = append(out, s[i:i+utf8.RuneLen(r)])
			start = i + utf8.RuneLen(r)
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
		unicode.In(r, unicode.Nl, unicode.No, unicode.Pc)
}

// whitespaceSplit is the Whitespace pre-tokenizer: runs matching
// \w+|[^\w\s]+.
func whitespaceSplit(s string, out []string) []string {
	start, cls := -1, 0 // cls: 1 word, 2 other
	for i, r := range s {
		c := 2
		switch {
		case unicode.IsSpace(r):
			c = 0
		case isWordRune(r):
			c = 1
		}
		if c != cls {
			if start >= 0 {
				out = append(out, s[start:i])
			}
			start = -1
			if c != 0 {
				start = i
			}
			cls = c
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// metaspace replaces spaces with the replacement, prepends one if asked,
// then splits before each replacement (SentencePiece style).
func metaspace(s, rep string, prepend, split bool, out []string) []string {
	s = strings.ReplaceAll(s, " ", rep)
	if prepend && !strings.HasPrefix(s, rep) {
		s = rep + s
	}
	if !split {
		return append(out, s)
	}
	start := 0
	for i := 0; i < len(s); {
		if !strings.HasPrefix(s[i:], rep) {
			i++
			continue
		}
		if i > start {
			out = append(out, s[start:i])
			start = i
		}
		i += len(rep)
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// ---- WordPiece

type wordPiece struct {
	words    map[string]int // whole-word-start pieces
	cont     map[string]int // continuing pieces, keyed without the prefix
	unk      int
	maxChars int
}

func buildWordPiece(raw json.RawMessage) (*wordPiece, []string, error) {
	var o struct {
		Vocab    map[string]int `json:"vocab"`
		Unk      string         `json:"unk_token"`
		Prefix   *string        `json:"continuing_subword_prefix"`
		MaxChars int            `json:"max_input_chars_per_word"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, nil, fmt.Errorf("bad WordPiece model: %v", err)
	}
	if len(o.Vocab) == 0 {
		return nil, nil, fmt.Errorf("the WordPiece vocabulary is empty")
	}
	prefix := "##"
	if o.Prefix != nil {
		prefix = *o.Prefix
	}
	if o.MaxChars <= 0 {
		o.MaxChars = 100
	}
	wp := &wordPiece{words: map[string]int{}, cont: map[string]int{}, unk: -1, maxChars: o.MaxChars}
	vocab, err := vocabSlice(o.Vocab)
	if err != nil {
		return nil, nil, err
	}
	for tok, id := range o.Vocab {
		wp.words[tok] = id
		if prefix != "" && strings.HasPrefix(tok, prefix) {
			wp.cont[tok[len(prefix):]] = id
		}
	}
	if id, ok := o.Vocab[o.Unk]; ok {
		wp.unk = id
	}
	return wp, vocab, nil
}

func vocabSlice(m map[string]int) ([]string, error) {
	maxID := -1
	for _, id := range m {
		if id < 0 || id > 1<<24 {
			return nil, fmt.Errorf("token id %d out of range", id)
		}
		maxID = max(maxID, id)
	}
	v := make([]string, maxID+1)
	for tok, id := range m {
		v[id] = tok
	}
	return v, nil
}

// tokenize splits word greedily into the longest pieces in the vocabulary;
// a word that cannot be split, or that is too long, becomes the unknown
// token.
func (wp *wordPiece) tokenize(word string, ids []int) []int {
	if utf8.RuneCountInString(word) > wp.maxChars {
		if wp.unk >= 0 {
			ids = append(ids, wp.unk)
		}
		return ids
	}
	mark := len(ids)
	for start := 0; start < len(word); {
		table := wp.words
		if start > 0 {
			table = wp.cont
		}
		end := len(word)
		found := -1
		for end > start {
			if id, ok := table[word[start:end]]; ok {
				found = id
				break
			}
			_, size := utf8.DecodeLastRuneInString(word[start:end])
			end -= size
		}
		if found < 0 {
			ids = ids[:mark]
			if wp.unk >= 0 {
				ids = append(ids, wp.unk)
			}
			return ids
		}
		ids = append(ids, found)
		start = end
	}
	return ids
}

// ---- Unigram

type unigram struct {
	pieces   map[string]int
	scores   []float64
	unk      int
	unkScore float64
	maxRunes int
	bytes    [256]int // byte-fallback ids, -1 if absent
	fallback bool
}

func buildUnigram(raw json.RawMessage) (*unigram, []string, error) {
	var o struct {
		Vocab        [][2]json.RawMessage `json:"vocab"`
		UnkID        *int                 `json:"unk_id"`
		ByteFallback bool                 `json:"byte_fallback"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, nil, fmt.Errorf("bad Unigram model: %v", err)
	}
	if len(o.Vocab) == 0 {
		return nil, nil, fmt.Errorf("the Unigram vocabulary is empty")
	}
	u := &unigram{pieces: make(map[string]int, len(o.Vocab)), scores: make([]float64, len(o.Vocab)), unk: -1}
	vocab := make([]string, len(o.Vocab))
	minScore := math.Inf(1)
	for id, e := range o.Vocab {
		var piece string
		var score float64
		if err := json.Unmarshal(e[0], &piece); err != nil {
			return nil, nil, fmt.Errorf("bad Unigram entry %d: %v", id, err)
		}
		if err := json.Unmarshal(e[1], &score); err != nil {
			return nil, nil, fmt.Errorf("bad Unigram score for %q: %v", piece, err)
		}
		vocab[id] = piece
		u.scores[id] = score
		minScore = min(minScore, score)
		if _, dup := u.pieces[piece]; !dup {
			u.pieces[piece] = id
		}
		u.maxRunes = max(u.maxRunes, utf8.RuneCountInString(piece))
	}
	if o.UnkID != nil {
		if *o.UnkID < 0 || *o.UnkID >= len(vocab) {
			return nil, nil, fmt.Errorf("the Unigram unk_id %d is outside the vocabulary", *o.UnkID)
		}
		u.unk = *o.UnkID
	}
	u.unkScore = minScore - 10 // as sentencepiece and tokenizers penalise unknowns
	for b := range u.bytes {
		u.bytes[b] = -1
		if id, ok := u.pieces[fmt.Sprintf("<0x%02X>", b)]; ok {
			u.bytes[b] = id
		}
	}
	u.fallback = o.ByteFallback
	return u, vocab, nil
}

// tokenize finds the segmentation with the highest total score (Viterbi).
// A character no piece covers becomes the unknown token (with byte
// fallback: its UTF-8 bytes); runs of unknowns are fused into one.
func (u *unigram) tokenize(word string, ids []int) []int {
	// Rune boundaries.
	pos := make([]int, 0, len(word)+1)
	for i := range word {
		pos = append(pos, i)
	}
	pos = append(pos, len(word))
	n := len(pos) - 1
	type node struct {
		score float64
		start int // rune index where the best piece ending here starts
		id    int
		set   bool
	}
	best := make([]node, n+1)
	best[0].set = true
	for i := 0; i < n; i++ {
		if !best[i].set {
			continue
		}
		single := false
		for j := i + 1; j <= n && j-i <= u.maxRunes; j++ {
			id, ok := u.pieces[word[pos[i]:pos[j]]]
			if !ok {
				continue
			}
			if j == i+1 {
				single = true
			}
			if s := best[i].score + u.scores[id]; !best[j].set || s > best[j].score {
				best[j] = node{s, i, id, true}
			}
		}
		if !single {
			if s := best[i].score + u.unkScore; !best[i+1].set || s > best[i+1].score {
				best[i+1] = node{s, i, -1, true}
			}
		}
	}
	// Walk back, then emit in order, fusing unknown runs.
	type span struct{ start, end, id int }
	var path []span
	for j := n; j > 0; j = best[j].start {
		path = append(path, span{best[j].start, j, best[j].id})
	}
	for k := len(path) - 1; k >= 0; k-- {
		s := path[k]
		if s.id >= 0 {
			ids = append(ids, s.id)
			continue
		}
		end := s.end
		for k > 0 && path[k-1].id < 0 {
			k--
			end = path[k].end
		}
		ids = u.unknown(word[pos[s.start]:pos[end]], ids)
	}
	return ids
}

func (u *unigram) unknown(s string, ids []int) []int {
	if u.fallback {
		ok := true
		for i := 0; i < len(s); i++ {
			ok = ok && u.bytes[s[i]] >= 0
		}
		if ok {
			for i := 0; i < len(s); i++ {
				ids = append(ids, u.bytes[s[i]])
			}
			return ids
		}
	}
	if u.unk >= 0 {
		ids = append(ids, u.unk)
	}
	return ids
}
