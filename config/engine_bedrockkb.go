package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/quire-research/quire/config/suggest"
)

var (
	// The Retrieve API's pattern for a knowledge base ID.
	knowledgeBaseID = regexp.MustCompile(`^[0-9a-zA-Z]{10}$`)
	awsRegion       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// bedrockProblems checks the bedrock-kb settings; like the cluster's,
// they are checked whatever the kind, so a typo shows before it is used.
func (en Engine) bedrockProblems() []*Error {
	var errs []*Error
	add := func(key string, err error) { errs = append(errs, &Error{Key: key, Err: err}) }
	switch {
	case en.KnowledgeBaseID == "" && en.Kind == EngineBedrockKB:
		add("engine.knowledge_base_id", errors.New("empty: the bedrock-kb engine needs the knowledge base's ID (ten letters and digits, as the Bedrock console shows it)"))
	case en.KnowledgeBaseID != "" && !knowledgeBaseID.MatchString(en.KnowledgeBaseID):
		add("engine.knowledge_base_id", fmt.Errorf("%q is not a knowledge base ID (ten letters and digits, e.g. ABCDE12345)", en.KnowledgeBaseID))
	}
	if en.Region != "" && !awsRegion.MatchString(en.Region) {
		add("engine.region", fmt.Errorf("%q is not an AWS region such as us-east-1", en.Region))
	}
	if err := checkEndpoint(en.Endpoint); err != nil {
		add("engine.endpoint", err)
	}
	for k, v := range sortedMap(en.Metadata) {
		if !slices.Contains(MetadataFields, k) {
			msg := fmt.Sprintf("%q is not a paper field (use %s)", k, strings.Join(MetadataFields, ", "))
			for _, f := range MetadataFields {
				if suggest.Distance(strings.ToLower(k), f) <= 2 {
					msg = fmt.Sprintf("%q is not a paper field: did you mean %s?", k, f)
					break
				}
			}
			add("engine.metadata."+k, errors.New(msg))
			continue
		}
		if strings.TrimSpace(v) == "" {
			add("engine.metadata."+k, errors.New("empty: name the knowledge base metadata key that holds it, or leave the line out"))
		}
	}
	return errs
}
