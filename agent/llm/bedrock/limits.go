package bedrock

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/quire-research/quire/agent/llm"
)

// maxFrame bounds one event stream frame. The SDK's decoder reads a frame
// of any length its prelude claims (up to 4 GiB) into memory, so a
// hostile or broken endpoint could fill it with one frame; Bedrock's own
// frames are a few hundred bytes.
const maxFrame = 8 << 20

// frameGuard passes an event stream through, reading each frame's
// prelude, and fails before a frame longer than max is read.
type frameGuard struct {
	io.ReadCloser
	from string
	max  int

	left  int     // bytes of the current frame still to pass
	pre   [4]byte // the next frame's total length, being read
	npre  int
	fault error
}

func (g *frameGuard) Read(p []byte) (int, error) {
	if g.fault != nil {
		return 0, g.fault
	}
	n, err := g.ReadCloser.Read(p)
	for i := 0; i < n; {
		if g.left > 0 {
			step := min(g.left, n-i)
			g.left -= step
			i += step
			continue
		}
		g.pre[g.npre] = p[i]
		g.npre++
		i++
		if g.npre < len(g.pre) {
			continue
		}
		g.npre = 0
		size := int(binary.BigEndian.Uint32(g.pre[:]))
		if size > g.max {
			g.fault = fmt.Errorf("%w: one event frame from %s claims %d MiB, over the %d MiB limit", llm.ErrTooLarge, g.from, size>>20, g.max>>20)
			return 0, g.fault
		}
		g.left = size - len(g.pre)
	}
	return n, err
}
