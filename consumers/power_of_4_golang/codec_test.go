package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// testKeys is the keys line every language's shared vectors use.
const testKeys = "test-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,test-2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

// vectorsDir holds one file of encrypted payloads per language.
var vectorsDir = filepath.Join(contractsDir, "codec-vectors")

var writeVectors = flag.Bool("write-vectors", false,
	"write codec-vectors/go.json with this implementation before checking every file")

// vectorPayload is a payload in Temporal's JSON form: metadata values and data in base64.
type vectorPayload struct {
	Metadata map[string][]byte `json:"metadata"`
	Data     []byte            `json:"data"`
}

func (v vectorPayload) proto() *commonpb.Payload {
	return &commonpb.Payload{Metadata: v.Metadata, Data: v.Data}
}

func fromProto(p *commonpb.Payload) vectorPayload {
	// Never null in the file: an empty payload has "data": "".
	return vectorPayload{Metadata: p.GetMetadata(), Data: append([]byte{}, p.GetData()...)}
}

type codecVectors struct {
	Producer string       `json:"producer"`
	Keys     string       `json:"keys"`
	Cases    []vectorCase `json:"cases"`
}

type vectorCase struct {
	Name      string        `json:"name"`
	Plain     vectorPayload `json:"plain"`
	Encrypted vectorPayload `json:"encrypted"`
}

// newTestCodec returns a codec over the shared test keys that encrypts with keyID.
func newTestCodec(t *testing.T, keyID string) *Codec {
	t.Helper()
	c, err := NewCodec(testKeys, keyID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func toPayload(t *testing.T, value any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(value)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeGoVectors encrypts the shared cases with this implementation into go.json.
func writeGoVectors(t *testing.T) {
	t.Helper()
	cases := []struct {
		name, keyID string
		value       any
	}{
		{`string payload "-12"`, "test-1", "-12"},
		{"string payload of 300 digits", "test-1", strings.Repeat("1234567890", 30)},
		{"binary/null payload", "test-1", nil},
		{`string payload "2401" encrypted with test-2`, "test-2", "2401"},
	}
	file := codecVectors{Producer: step.Language, Keys: testKeys}
	for _, c := range cases {
		plain := toPayload(t, c.value)
		enc, err := newTestCodec(t, c.keyID).Encode([]*commonpb.Payload{plain})
		if err != nil {
			t.Fatal(err)
		}
		file.Cases = append(file.Cases, vectorCase{Name: c.name, Plain: fromProto(plain), Encrypted: fromProto(enc[0])})
	}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vectorsDir, "go.json"), append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSharedCodecVectors decrypts every case of every language's file, so a payload encrypted
// by any of them is known to decrypt here.
func TestSharedCodecVectors(t *testing.T) {
	if *writeVectors {
		writeGoVectors(t)
	}
	files, err := filepath.Glob(filepath.Join(vectorsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !containsBase(files, "go.json") {
		t.Fatalf("no go.json among %v (go test -run TestSharedCodecVectors -write-vectors writes it)", files)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var v codecVectors
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if v.Keys != testKeys {
				t.Fatalf("keys %q, want the shared line %q", v.Keys, testKeys)
			}
			if len(v.Cases) == 0 {
				t.Fatal("no cases")
			}
			codec := newTestCodec(t, "test-1")
			for _, c := range v.Cases {
				enc := c.Encrypted.proto()
				if len(enc.Metadata) != 2 || string(enc.Metadata[converter.MetadataEncoding]) != "binary/encrypted" {
					t.Errorf("%s: encrypted metadata %q, want only %s and %s", c.Name, enc.Metadata, converter.MetadataEncoding, "encryption-key-id")
				}
				got, err := codec.Decode([]*commonpb.Payload{enc})
				if err != nil {
					t.Errorf("%s: %v", c.Name, err)
					continue
				}
				if !proto.Equal(got[0], c.Plain.proto()) {
					t.Errorf("%s: decrypted to %v, want %v", c.Name, got[0], c.Plain.proto())
				}
			}
		})
	}
}

func containsBase(paths []string, base string) bool {
	for _, p := range paths {
		if filepath.Base(p) == base {
			return true
		}
	}
	return false
}

func TestEncodeUsesAFreshNonce(t *testing.T) {
	codec := newTestCodec(t, "test-2")
	plain := toPayload(t, "-12")
	first, err := codec.Encode([]*commonpb.Payload{plain, plain})
	if err != nil {
		t.Fatal(err)
	}
	second, err := codec.Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	serialized, _ := proto.Marshal(plain)
	nonces := map[string]bool{}
	for _, enc := range append(first, second...) {
		if got := string(enc.Metadata["encryption-key-id"]); got != "test-2" || len(enc.Metadata) != 2 ||
			string(enc.Metadata[converter.MetadataEncoding]) != "binary/encrypted" {
			t.Errorf("metadata %q", enc.Metadata)
		}
		if want := 12 + len(serialized) + 16; len(enc.Data) != want {
			t.Errorf("%d bytes of data, want nonce, ciphertext and tag: %d", len(enc.Data), want)
		}
		nonces[string(enc.Data[:12])] = true
		back, err := newTestCodec(t, "test-1").Decode([]*commonpb.Payload{enc})
		if err != nil || !proto.Equal(back[0], plain) {
			t.Errorf("decrypts to %v, %v; want %v", back, err, plain)
		}
	}
	if len(nonces) != 3 {
		t.Errorf("three encryptions used %d nonces", len(nonces))
	}
}

func TestDecodePassesPlainPayloadsThrough(t *testing.T) {
	codec := newTestCodec(t, "test-1")
	plain := []*commonpb.Payload{toPayload(t, "-12"), toPayload(t, nil), {}}
	enc, err := codec.Encode(plain[:1])
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.Decode(append(plain, enc[0]))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range plain {
		if got[i] != p {
			t.Errorf("payload %d changed: %v", i, got[i])
		}
	}
	if !proto.Equal(got[3], plain[0]) {
		t.Errorf("the encrypted payload beside them decrypts to %v", got[3])
	}
}

func TestDecodeUnknownKeyIDFails(t *testing.T) {
	other, err := NewCodec("retired-7:"+base64.StdEncoding.EncodeToString(bytesFrom(9)), "")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := other.Encode([]*commonpb.Payload{toPayload(t, "-12")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newTestCodec(t, "test-1").Decode(enc)
	if err == nil || !strings.Contains(err.Error(), `"retired-7"`) {
		t.Errorf("want an error naming the key id retired-7, got %v", err)
	}
}

func TestDecodeFlippedByteFails(t *testing.T) {
	codec := newTestCodec(t, "test-1")
	enc, err := codec.Encode([]*commonpb.Payload{toPayload(t, "-12")})
	if err != nil {
		t.Fatal(err)
	}
	// Every byte: the nonce, the ciphertext and the tag are all covered.
	for i := range enc[0].Data {
		bad := proto.Clone(enc[0]).(*commonpb.Payload)
		bad.Data[i] ^= 0x01
		if _, err := codec.Decode([]*commonpb.Payload{bad}); err == nil {
			t.Errorf("byte %d flipped: decoded without error", i)
		}
	}
	short := proto.Clone(enc[0]).(*commonpb.Payload)
	short.Data = short.Data[:12]
	if _, err := codec.Decode([]*commonpb.Payload{short}); err == nil {
		t.Error("a truncated payload decoded without error")
	}
}

func TestNewCodecRefusesAnUnknownCurrentKey(t *testing.T) {
	if _, err := NewCodec(testKeys, "test-3"); err == nil {
		t.Error("a codec without its current key was made")
	}
	if _, err := NewCodec("k:"+base64.StdEncoding.EncodeToString(bytesFrom(0)[:16]), "k"); err == nil {
		t.Error("a 16-byte (AES-128) key was accepted")
	}
}

func TestConverters(t *testing.T) {
	data, failures := newTestCodec(t, "test-1").Converters()
	p, err := data.ToPayload("-12")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Metadata[converter.MetadataEncoding]) != "binary/encrypted" || bytes.Contains(p.Data, []byte("-12")) {
		t.Errorf("payload not encrypted: %v", p)
	}
	var back string
	if err := data.FromPayload(p, &back); err != nil || back != "-12" {
		t.Errorf("round trip gives %q, %v", back, err)
	}

	// The message of a rejected number travels encrypted and comes back whole.
	const message = "power_of_4: invalid number 2.5: expected a string of base-10 digits"
	failure := failures.ErrorToFailure(temporal.NewNonRetryableApplicationError(message, "InvalidNumber", nil))
	attrs := failure.GetEncodedAttributes()
	if strings.Contains(failure.String(), "invalid number") ||
		string(attrs.GetMetadata()[converter.MetadataEncoding]) != "binary/encrypted" {
		t.Errorf("failure not encrypted: %v", failure)
	}
	err = failures.FailureToError(failure)
	if appErr := requireInvalidNumber(t, err); appErr.Message() != message {
		t.Errorf("message %q, want %q", appErr.Message(), message)
	}
}
