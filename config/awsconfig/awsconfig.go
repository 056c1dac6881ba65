// Package awsconfig is Quire's one AWS client setup, shared by the Bedrock
// language model, the Bedrock embedder and the S3 source: the same region
// rule, the same credential chain, the same (minimal) SDK retries, and the
// SDK's logger silenced, because Quire owns the terminal and the SDK's
// default logger writes to stderr over the app's screen.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// DefaultRegion is used when neither the setting, the environment
// (AWS_REGION, AWS_DEFAULT_REGION) nor the shared config names one: the
// region where Bedrock offers the most models.
const DefaultRegion = "us-east-1"

// Options choose the region and credentials; zero fields use the SDK's
// standard chain.
type Options struct {
	// Region wins over the environment and the profile.
	Region string
	// Profile is the shared config profile; empty uses AWS_PROFILE or the
	// default one.
	Profile string
	// Credentials replaces the standard chain (environment, shared config
	// and SSO, container and instance roles); tests pass static ones.
	Credentials aws.CredentialsProvider
	// BaseEndpoint replaces every service's endpoint (a VPC endpoint, an
	// S3-compatible store, a test server).
	BaseEndpoint string
}

// Load reads the AWS configuration with Quire's rules:
//
//   - region: Options.Region, else the SDK's (AWS_REGION, the profile),
//     else DefaultRegion;
//   - logging: none (the SDK's logger is a no-op and no client log mode is
//     set, whatever AWS_SDK_GO_V2 settings say);
//   - retries: the SDK retries only a broken connection, once, with no
//     client-side retry quota; throttling and server faults come back as
//     errors for search/backoff to retry with notices. AWS_MAX_ATTEMPTS
//     and the profile's max_attempts do not change this.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	load := []func(*config.LoadOptions) error{
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
	}
	if o.Region != "" {
		load = append(load, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		load = append(load, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Credentials != nil {
		load = append(load, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("cannot load the AWS configuration (check AWS_PROFILE and ~/.aws/config): %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	cfg.Logger = logging.Nop{}
	cfg.ClientLogMode = 0
	cfg.Retryer = Retryer
	cfg.RetryMaxAttempts = 0 // else the client wraps Retryer with AWS_MAX_ATTEMPTS
	cfg.RetryMode = ""
	if o.BaseEndpoint != "" {
		cfg.BaseEndpoint = aws.String(o.BaseEndpoint)
	}
	return cfg, nil
}

// Retryer is the SDK retryer every Quire client uses: two attempts, only
// for a connection that broke before any response (safe to repeat), and
// no retry quota, which turns sustained throttling into "retry quota
// exceeded" errors.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 2
		so.RateLimiter = ratelimit.None
		so.Retryables = []retry.IsErrorRetryable{
			retry.NoRetryCanceledError{},
			retry.RetryableConnectionError{},
		}
	})
}
