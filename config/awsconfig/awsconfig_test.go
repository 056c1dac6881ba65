package awsconfig

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
)

// isolate keeps the SDK away from the machine's AWS configuration.
func isolate(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

func TestLoadSilentAndMinimalRetries(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "9")
	t.Setenv("AWS_RETRY_MODE", "adaptive")
	cfg, err := Load(context.Background(), Options{Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Logger.(logging.Nop); !ok || cfg.ClientLogMode != 0 {
		t.Errorf("Logger %T, ClientLogMode %v: want a silent SDK", cfg.Logger, cfg.ClientLogMode)
	}
	if cfg.Retryer == nil || cfg.Retryer().MaxAttempts() != 2 || cfg.RetryMaxAttempts != 0 {
		t.Errorf("retries: AWS_MAX_ATTEMPTS must not raise the SDK's 2 attempts (RetryMaxAttempts %d)", cfg.RetryMaxAttempts)
	}
	if cfg.Region != DefaultRegion {
		t.Errorf("no region anywhere: got %q, want %q", cfg.Region, DefaultRegion)
	}
}

func TestLoadRegionRule(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	cfg, err := Load(context.Background(), Options{})
	if err != nil || cfg.Region != "eu-west-1" {
		t.Fatalf("AWS_REGION: region %q, err %v", cfg.Region, err)
	}
	cfg, err = Load(context.Background(), Options{Region: "ap-south-1", BaseEndpoint: "http://127.0.0.1:9"})
	if err != nil || cfg.Region != "ap-south-1" || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:9" {
		t.Fatalf("explicit region wins: region %q, err %v", cfg.Region, err)
	}
}
