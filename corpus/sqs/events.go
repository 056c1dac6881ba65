package sqs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Action is what an event asks of the index.
type Action int

const (
	// Upsert reads the object and writes its papers (created, overwritten,
	// or its tags changed).
	Upsert Action = iota + 1
	// Remove deletes the papers the object produced.
	Remove
)

func (a Action) String() string {
	switch a {
	case Upsert:
		return "upsert"
	case Remove:
		return "remove"
	}
	return "none"
}

// Event is one S3 object event, whichever format carried it.
type Event struct {
	Action    Action
	Name      string // as S3 names it: "ObjectCreated:Put", "Object Deleted", ...
	Bucket    string
	Key       string // decoded: the object's real key
	Size      int64
	ETag      string
	Sequencer string
	Time      time.Time
}

// URL is the object's s3:// address.
func (e Event) URL() string { return "s3://" + e.Bucket + "/" + e.Key }

// ParseMessage reads the S3 events in one SQS message body: the S3
// notification format (Records[]), the EventBridge format (detail-type
// and detail), either of them wrapped in an SNS notification, and the
// s3:TestEvent S3 sends when a notification is configured (no events, no
// error). Events that do not change what an object holds (restores,
// replication, ACL changes) are left out. A body that is none of these is
// an error saying what was expected.
func ParseMessage(body []byte) ([]Event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("the message body is not a JSON object (%v): want an S3 event notification", err)
	}
	switch {
	case top["Records"] != nil:
		return parseRecords(top["Records"])
	case top["detail-type"] != nil:
		return parseEventBridge(body)
	case str(top["Event"]) == "s3:TestEvent":
		return nil, nil
	case str(top["Type"]) == "Notification" && top["Message"] != nil:
		// SNS fan-out: the S3 event is the Message, as a JSON string.
		inner := str(top["Message"])
		if inner == "" {
			return nil, errors.New("SNS notification: Message is not a string")
		}
		evs, err := ParseMessage([]byte(inner))
		if err != nil {
			return nil, fmt.Errorf("SNS notification: %w", err)
		}
		return evs, nil
	}
	return nil, errors.New("not an S3 event: want an S3 notification (Records), an EventBridge event (detail-type) or either inside an SNS notification")
}

func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

type s3Record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	EventTime   string `json:"eventTime"`
	S3          *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       *string `json:"key"`
			Size      int64   `json:"size"`
			ETag      string  `json:"eTag"`
			Sequencer string  `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

func parseRecords(raw json.RawMessage) ([]Event, error) {
	var recs []s3Record
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, fmt.Errorf("the event's Records: %v", err)
	}
	var out []Event
	for i, r := range recs {
		at := func(field string) string { return fmt.Sprintf("Records[%d].%s", i, field) }
		act := s3Action(r.EventName)
		if act == 0 {
			continue
		}
		switch {
		case r.S3 == nil:
			return nil, fmt.Errorf("%s: missing", at("s3"))
		case r.S3.Bucket.Name == "":
			return nil, fmt.Errorf("%s: missing", at("s3.bucket.name"))
		case r.S3.Object.Key == nil:
			return nil, fmt.Errorf("%s: missing", at("s3.object.key"))
		}
		// Keys are URL-encoded in this format, spaces as '+'.
		key, err := url.QueryUnescape(*r.S3.Object.Key)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not URL-encoded: %v", at("s3.object.key"), *r.S3.Object.Key, err)
		}
		t, _ := time.Parse(time.RFC3339Nano, r.EventTime)
		out = append(out, Event{Action: act, Name: r.EventName, Bucket: r.S3.Bucket.Name, Key: key,
			Size: r.S3.Object.Size, ETag: r.S3.Object.ETag, Sequencer: r.S3.Object.Sequencer, Time: t})
	}
	return out, nil
}

// s3Action maps a notification's eventName; 0 means the event is not
// about an object's contents.
func s3Action(name string) Action {
	switch {
	case strings.HasPrefix(name, "ObjectCreated:"), strings.HasPrefix(name, "ObjectTagging:"):
		return Upsert
	case strings.HasPrefix(name, "ObjectRemoved:"), name == "LifecycleExpiration:Delete", name == "LifecycleExpiration:DeleteMarkerCreated":
		return Remove
	}
	return 0
}

type bridgeEvent struct {
	DetailType string `json:"detail-type"`
	Source     string `json:"source"`
	Time       string `json:"time"`
	Detail     *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       *string `json:"key"`
			Size      int64   `json:"size"`
			ETag      string  `json:"etag"`
			Sequencer string  `json:"sequencer"`
		} `json:"object"`
	} `json:"detail"`
}

func parseEventBridge(body []byte) ([]Event, error) {
	var e bridgeEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("EventBridge event: %v", err)
	}
	var act Action
	switch e.DetailType {
	case "Object Created", "Object Tags Added", "Object Tags Deleted":
		act = Upsert
	case "Object Deleted":
		act = Remove
	default:
		return nil, nil
	}
	switch {
	case e.Source != "" && e.Source != "aws.s3":
		return nil, fmt.Errorf("EventBridge event from %q: want source aws.s3", e.Source)
	case e.Detail == nil:
		return nil, errors.New("EventBridge event: detail: missing")
	case e.Detail.Bucket.Name == "":
		return nil, errors.New("EventBridge event: detail.bucket.name: missing")
	case e.Detail.Object.Key == nil:
		return nil, errors.New("EventBridge event: detail.object.key: missing")
	}
	t, _ := time.Parse(time.RFC3339Nano, e.Time)
	// EventBridge sends keys as they are, not URL-encoded.
	return []Event{{Action: act, Name: e.DetailType, Bucket: e.Detail.Bucket.Name, Key: *e.Detail.Object.Key,
		Size: e.Detail.Object.Size, ETag: e.Detail.Object.ETag, Sequencer: e.Detail.Object.Sequencer, Time: t}}, nil
}

// SequencerAfter reports whether sequencer a is later than b for the same
// key. S3's sequencers are hexadecimal strings of varying length: the
// shorter is padded with zeros on the right, then the two compare as
// strings. An empty sequencer (none sent) is never after anything, and
// nothing is after it, so such events always apply.
func SequencerAfter(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	a, b = strings.ToUpper(a), strings.ToUpper(b)
	for len(a) < len(b) {
		a += "0"
	}
	for len(b) < len(a) {
		b += "0"
	}
	return a > b
}
