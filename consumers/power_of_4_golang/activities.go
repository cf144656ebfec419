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
	"unicode/utf8"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// maxShownRunes is how much of a rejected value an error message repeats.
const maxShownRunes = 80

// Rules quoted in InvalidNumber messages.
const (
	ruleDigits   = "expected a string of base-10 digits with an optional leading '-'"
	ruleTooLong  = "expected at most %d digits"
	shortenedEnd = "..."
)

var payloadRegexp = regexp.MustCompile(PayloadPattern)

// Activities holds the power_of_4 activity and the timing its wait uses.
type Activities struct {
	// Wait is how long the activity waits before computing; zero means no wait.
	Wait time.Duration
	// HeartbeatInterval is how often the activity heartbeats while it waits.
	HeartbeatInterval time.Duration
}

// PowerOf4 returns the payload raised to the fourth power as a canonical base-10 string.
//
// The payload is taken as raw JSON so that every JSON value reaches the activity and a
// non-string is rejected as InvalidNumber instead of failing (retryably) in the decoder.
func (a *Activities) PowerOf4(ctx context.Context, payload json.RawMessage) (string, error) {
	logger := activity.GetLogger(ctx)
	n, err := ParseNumber(payload)
	if err != nil {
		logger.Warn("rejected payload", "Error", err)
		return "", err
	}
	if err := a.wait(ctx); err != nil {
		logger.Info("wait interrupted", "Error", err)
		return "", err
	}
	result := new(big.Int).Exp(n, big.NewInt(Exponent), nil).String()
	logger.Info("computed power", "Exponent", Exponent, "InputDigits", len(n.String()), "ResultDigits", len(result))
	return result, nil
}

// wait sleeps for a.Wait, heartbeating every a.HeartbeatInterval, and returns ctx.Err() once
// the activity is cancelled so that the SDK reports it as cancelled.
func (a *Activities) wait(ctx context.Context) error {
	if a.Wait <= 0 {
		return nil
	}
	interval := a.HeartbeatInterval
	if interval <= 0 {
		interval = HeartbeatIntervalSeconds * time.Second
	}
	deadline := time.NewTimer(a.Wait)
	defer deadline.Stop()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	activity.GetLogger(ctx).Info("waiting before computing", "Wait", a.Wait)
	activity.RecordHeartbeat(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return nil
		case <-ticker.C:
			activity.RecordHeartbeat(ctx)
		}
	}
}

// ParseNumber checks a raw JSON payload against the contract and returns its integer value,
// or a non-retryable InvalidNumber application error.
func ParseNumber(payload json.RawMessage) (*big.Int, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '"' {
		return nil, invalidNumber(showRaw(trimmed), ruleDigits)
	}
	var s string
	if err := json.Unmarshal(trimmed, &s); err != nil {
		return nil, invalidNumber(showRaw(trimmed), ruleDigits)
	}
	if !payloadRegexp.MatchString(s) {
		return nil, invalidNumber(showString(s), ruleDigits)
	}
	if digits := len(strings.TrimPrefix(s, "-")); digits > MaxDigits {
		return nil, invalidNumber(showString(s), fmt.Sprintf(ruleTooLong, MaxDigits))
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, invalidNumber(showString(s), ruleDigits)
	}
	return n, nil
}

// invalidNumber builds the contract's InvalidNumber failure for an already rendered value.
func invalidNumber(shown, rule string) error {
	msg := fmt.Sprintf("%s: invalid number %s: %s", ActivityName, shorten(shown), rule)
	return temporal.NewNonRetryableApplicationError(msg, InvalidNumberErrorType, nil)
}

// showRaw renders a non-string JSON value compactly; an absent value reads as null.
func showRaw(raw []byte) string {
	if len(raw) == 0 {
		return "null"
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

// showString renders a string as JSON without escaping HTML characters.
func showString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// shorten cuts s to its first maxShownRunes characters followed by "..." when it is longer.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxShownRunes {
		return s
	}
	end := 0
	for range maxShownRunes {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	return s[:end] + shortenedEnd
}
