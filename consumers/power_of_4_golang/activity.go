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

	"calc.local/contracts"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// contract is contracts/contract.json, compiled in; step is this worker's entry in it.
var (
	contract = contracts.Contract
	step     = contracts.StepOf("power_of_4")
	payload  = regexp.MustCompile(contract.Payload.Pattern)
)

// Activities holds the power_of_4 activity and the timing of its wait.
type Activities struct {
	Wait, HeartbeatInterval time.Duration
}

// PowerOf4 returns its input raised to the fourth power, exactly, as a base-10 string. The
// input is raw JSON so that a value of any JSON type reaches it and is refused as InvalidNumber,
// instead of failing, and being retried, in the SDK's decoder.
func (a *Activities) PowerOf4(ctx context.Context, input json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(input, &s) != nil || !payload.MatchString(s) {
		return "", invalidNumber(input, "expected a string of base-10 digits with an optional leading '-'")
	}
	if len(strings.TrimPrefix(s, "-")) > contract.Payload.MaxDigits {
		return "", invalidNumber(input, fmt.Sprintf("expected at most %d digits", contract.Payload.MaxDigits))
	}
	if err := a.wait(ctx); err != nil {
		return "", err
	}
	n, _ := new(big.Int).SetString(s, 10)
	result := n.Exp(n, big.NewInt(step.Exponent), nil).String()
	activity.GetLogger(ctx).Info("computed power", "Exponent", step.Exponent, "ResultDigits", len(result))
	return result, nil
}

// wait heartbeats while it waits, so that the server notices a dead worker and can deliver a
// cancellation, which ends the wait with ctx.Err(): the SDK then reports the activity cancelled.
func (a *Activities) wait(ctx context.Context) error {
	if a.Wait <= 0 {
		return nil
	}
	done, tick := time.After(a.Wait), time.NewTicker(a.HeartbeatInterval)
	defer tick.Stop()
	for {
		activity.RecordHeartbeat(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return nil
		case <-tick.C:
		}
	}
}

// invalidNumber is the contract's non-retryable failure, naming the value as JSON, as sent, cut
// to 80 characters.
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
