package progress

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// HumanCount formats n with comma thousands separators: 1234567 → "1,234,567".
func HumanCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		b = append(b, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// HumanNoun is HumanCount with the noun that goes with it: "1 paper",
// "1,234 papers".
func HumanNoun(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return HumanCount(n) + " " + many
}

// HumanBytes formats a size in binary (IEC) units with three significant
// digits: 512 → "512 B", 1536 → "1.50 KiB", 3<<30 → "3.00 GiB".
func HumanBytes(n int64) string {
	const units = "KMGTPE"
	if n > -1024 && n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	i := -1
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	prec := 2
	switch a := math.Abs(v); {
	case a >= 100:
		prec = 0
	case a >= 10:
		prec = 1
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + units[i:i+1] + "iB"
}

// HumanDuration formats d compactly for logs, rounded to a precision that
// suits its size: "340ms", "2s", "1m05s", "2h04m", "3d04h". Negative
// durations count as zero.
func HumanDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	if s := d.Round(time.Second); s < time.Hour {
		m, sec := int64(s/time.Minute), int64(s/time.Second)%60
		if m == 0 {
			return fmt.Sprintf("%ds", sec)
		}
		return fmt.Sprintf("%dm%02ds", m, sec)
	}
	if m := d.Round(time.Minute); m < 24*time.Hour {
		return fmt.Sprintf("%dh%02dm", int64(m/time.Hour), int64(m/time.Minute)%60)
	}
	h := int64(d.Round(time.Hour) / time.Hour)
	return fmt.Sprintf("%dd%02dh", h/24, h%24)
}

// clock formats d as a stopwatch, "0:02" or "1:02:03", so the terminal line
// keeps its width while the ETA counts down.
func clock(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	h, m, s := int64(d/time.Hour), int64(d/time.Minute)%60, int64(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// humanRate formats a per-second rate: one decimal below 10 so slow work
// does not read "0/s", whole numbers with separators above.
func humanRate(perSec float64) string {
	if perSec < 10 {
		return strconv.FormatFloat(perSec, 'f', 1, 64) + "/s"
	}
	return HumanCount(int64(math.Round(perSec))) + "/s"
}
