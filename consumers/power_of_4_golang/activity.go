package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

var digits = regexp.MustCompile(contract.Payload.Pattern)

// Activities holds the power_of_4 activity and the wait before it computes.
type Activities struct{ Wait, HeartbeatInterval time.Duration }

// PowerOf4 returns n^4, exactly, for n a string of base-10 digits.
func (a *Activities) PowerOf4(ctx context.Context, input json.RawMessage) (string, error) {
	var s string // from raw JSON, so that another type fails here as InvalidNumber, not retried in the SDK's decoder
	if json.Unmarshal(input, &s) != nil || !digits.MatchString(s) {
		return "", invalidNumber(input, "expected a string of base-10 digits with an optional leading '-'")
	}
	if len(strings.TrimPrefix(s, "-")) > contract.Payload.MaxDigits {
		return "", invalidNumber(input, fmt.Sprintf("expected at most %d digits", contract.Payload.MaxDigits))
	}
	// Heartbeats let the server notice a dead worker and deliver a cancellation, which ends the wait.
	for end := time.Now().Add(a.Wait); time.Now().Before(end); {
		activity.RecordHeartbeat(ctx)
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(min(a.HeartbeatInterval, time.Until(end))):
		}
	}
	n, _ := new(big.Int).SetString(s, 10)
	result := n.Exp(n, big.NewInt(step.Exponent), nil).String()
	activity.GetLogger(ctx).Info("computed power", "Exponent", step.Exponent, "ResultDigits", len(result))
	return result, nil
}

// invalidNumber names the value as sent, in compact JSON cut to 80 characters; retrying cannot help.
func invalidNumber(input json.RawMessage, rule string) error {
	shown, compact := "null", bytes.Buffer{} // null: no value at all
	if json.Compact(&compact, input) == nil {
		shown = compact.String()
	}
	if runes := []rune(shown); len(runes) > 80 {
		shown = string(runes[:80]) + "..."
	}
	msg := fmt.Sprintf("%s: invalid number %s: %s", step.Activity, shown, rule)
	return temporal.NewNonRetryableApplicationError(msg, contract.InvalidNumberErrorType, nil)
}
