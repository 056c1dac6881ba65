package eval

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Row names one set of metrics in a comparison, e.g. a search mode or a
// collection.
type Row struct {
	Name string `json:"name"`
	Metrics
}

var metricHeader = []string{"queries", "nDCG@10", "Recall@100", "MRR@10"}

// Table renders the report as an aligned plain-text table with one row named
// after the collection, and a note when queries were skipped.
func (r Report) Table(name string) string {
	s := formatTable(append([]string{"collection"}, metricHeader...), [][]string{metricCells(name, r.Metrics)})
	if r.Skipped > 0 {
		s += fmt.Sprintf("(%d queries without relevant judgments skipped)\n", r.Skipped)
	}
	return s
}

// Compare renders several named rows side by side in one aligned table, in
// the order given.
func Compare(rows []Row) string {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = metricCells(r.Name, r.Metrics)
	}
	return formatTable(append([]string{"run"}, metricHeader...), cells)
}

func metricCells(name string, m Metrics) []string {
	return []string{
		name,
		strconv.Itoa(m.Queries),
		fmt.Sprintf("%.4f", m.NDCG10),
		fmt.Sprintf("%.4f", m.Recall100),
		fmt.Sprintf("%.4f", m.MRR10),
	}
}

// formatTable left-aligns the first column (names) and right-aligns the
// others (numbers) so decimal points line up. Columns are two spaces apart
// and lines carry no trailing space.
func formatTable(header []string, rows [][]string) string {
	widths := make([]int, len(header))
	for _, row := range append([][]string{header}, rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range append([][]string{header}, rows...) {
		var line strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0:
				line.WriteString(c + pad)
			default:
				line.WriteString("  " + pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}

// DiffTable renders comparisons as one aligned table, a row each, named
// by names (one per comparison).
func DiffTable(names []string, cs []Comparison) string {
	rows := make([][]string, len(cs))
	for i, c := range cs {
		rows[i] = []string{names[i], strconv.Itoa(c.Queries),
			signed(c.NDCG10.Mean), interval(c.NDCG10),
			signed(c.Recall100.Mean), interval(c.Recall100),
			fmt.Sprintf("%d/%d", c.NDCG10.Wins, c.NDCG10.Losses)}
	}
	return formatTable([]string{"comparison", "queries", "Δ nDCG@10", "95% interval", "Δ Recall@100", "95% interval", "nDCG wins/losses"}, rows)
}

func interval(d Diff) string { return "[" + signed(d.Lo) + ", " + signed(d.Hi) + "]" }

// signed prints a difference with its sign; a rounding error below the
// last digit prints as +0.0000, not -0.0000.
func signed(x float64) string {
	s := fmt.Sprintf("%+.4f", x)
	if s == "-0.0000" {
		s = "+0.0000"
	}
	return s
}
