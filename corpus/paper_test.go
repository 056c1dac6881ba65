package corpus

import "testing"

func TestCollapseSpace(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                       "",
		"clean text":             "clean text",
		"  lead and trail  ":     "lead and trail",
		"double  space":          "double space",
		"tab\there":              "tab here",
		"line\nbreak\r\n":        "line break",
		"no\u00a0break":          "no break",
		"café au lait":           "café au lait",
		"ideographic\u3000space": "ideographic space",
		" ":                      "",
	} {
		if got := CollapseSpace(in); got != want {
			t.Errorf("CollapseSpace(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVenueName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Phys. Rev. A 77, 013804 (2008)":        "Phys. Rev. A",
		"J. Phys. A: Math. Gen. 39 (2006) 1234": "J. Phys. A: Math. Gen.",
		"NeurIPS":                               "NeurIPS",
		"Nature vol. 5":                         "Nature",
		"3D Research":                           "3D Research",
		"2019":                                  "2019",
	} {
		if got := VenueName(in); got != want {
			t.Errorf("VenueName(%q) = %q, want %q", in, got, want)
		}
	}
}
