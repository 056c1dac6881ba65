package progress

import (
	"testing"
	"time"
)

func TestHumanCount(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 2690: "2,690", 123456: "123,456",
		1234567: "1,234,567", -1234: "-1,234", -999: "-999",
		-9223372036854775808: "-9,223,372,036,854,775,808",
	} {
		if got := HumanCount(n); got != want {
			t.Errorf("HumanCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHumanNoun(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 hits", 1: "1 hit", 2: "2 hits", 1234: "1,234 hits", -1: "-1 hits"} {
		if got := HumanNoun(n, "hit", "hits"); got != want {
			t.Errorf("HumanNoun(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 512: "512 B", 1023: "1023 B", 1024: "1.00 KiB", 1536: "1.50 KiB",
		10 << 20: "10.0 MiB", 300 << 20: "300 MiB", 3 << 30: "3.00 GiB", -2048: "-2.00 KiB",
		1 << 62: "4.00 EiB",
	} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		-time.Second:            "0s",
		0:                       "0s",
		340 * time.Millisecond:  "340ms",
		2 * time.Second:         "2s",
		2400 * time.Millisecond: "2s",
		59 * time.Second:        "59s",
		65 * time.Second:        "1m05s",
		2*time.Hour + 3*time.Minute + 40*time.Second:           "2h04m",
		59*time.Minute + 59*time.Second + 600*time.Millisecond: "1h00m",
		76 * time.Hour: "3d04h",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestClockAndRate(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0: "0:00", 2 * time.Second: "0:02", 62 * time.Second: "1:02", 3723 * time.Second: "1:02:03",
	} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
	for r, want := range map[float64]string{0: "0.0/s", 3.46: "3.5/s", 2512.4: "2,512/s"} {
		if got := humanRate(r); got != want {
			t.Errorf("humanRate(%v) = %q, want %q", r, got, want)
		}
	}
}
