// Package bedrocktest writes Bedrock's ConverseStream replies for loopback
// test servers, so scripted models speak the real wire protocol.
package bedrocktest

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Events starts an event-stream reply on w and returns a function that
// writes one event of type typ with a JSON payload, flushed at once.
func Events(w http.ResponseWriter) func(typ, payload string) error {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	enc := eventstream.NewEncoder()
	return func(typ, payload string) error {
		var h eventstream.Headers
		h.Set(":event-type", eventstream.StringValue(typ))
		h.Set(":content-type", eventstream.StringValue("application/json"))
		h.Set(":message-type", eventstream.StringValue("event"))
		if err := enc.Encode(w, eventstream.Message{Headers: h, Payload: []byte(payload)}); err != nil {
			return err
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return nil
	}
}
