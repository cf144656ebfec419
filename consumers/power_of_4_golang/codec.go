package main

import (
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

var enc, keyIDs = contract.Encryption, regexp.MustCompile(contract.Encryption.KeyIDPattern)

// Codec encrypts payloads in the format every language of the project shares: AES-256-GCM, nonce first.
type Codec struct {
	keyID string
	aeads map[string]cipher.AEAD
}

// NewCodec decrypts with any of PAYLOAD_KEYS' id:key pairs and encrypts with keyID, by default the first.
func NewCodec(keys, keyID string) (*Codec, error) {
	c := &Codec{keyID: keyID, aeads: map[string]cipher.AEAD{}}
	for pair := range strings.SplitSeq(keys, ",") {
		id, encoded, _ := strings.Cut(pair, ":")
		key, err := base64.StdEncoding.DecodeString(encoded)
		canonical := err == nil && base64.StdEncoding.EncodeToString(key) == encoded // no line breaks, no stray bits
		if !canonical || len(key) != enc.KeyBytes || c.aeads[id] != nil || !keyIDs.MatchString(id) {
			return nil, invalidSetting("PAYLOAD_KEYS", enc.KeysRule)
		}
		block, _ := aes.NewCipher(key) // fails only for a key length other than 16, 24 or 32
		c.aeads[id], _ = cipher.NewGCMWithRandomNonce(block)
		c.keyID = cmp.Or(c.keyID, id)
	}
	if c.aeads[c.keyID] == nil {
		return nil, invalidSetting("PAYLOAD_KEY_ID", enc.KeyIDRule)
	}
	return c, nil
}

// Encode encrypts each whole serialized payload, metadata included, with the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		metadata := map[string][]byte{converter.MetadataEncoding: []byte(enc.Encoding), enc.KeyIDMetadata: []byte(c.keyID)}
		out[i] = &commonpb.Payload{Metadata: metadata, Data: c.aeads[c.keyID].Seal(nil, nil, plain, nil)}
	}
	return out, nil
}

// Decode decrypts the encrypted payloads with the key each names and passes the others through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		out[i] = p
		if string(p.Metadata[converter.MetadataEncoding]) != enc.Encoding {
			continue
		}
		id := string(p.Metadata[enc.KeyIDMetadata])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("payload encrypted with unknown key id %q", id)
		}
		plain, err := aead.Open(nil, nil, p.Data, nil)
		if err != nil {
			return nil, fmt.Errorf("payload encrypted with key id %q: %w", id, err)
		}
		out[i] = &commonpb.Payload{}
		if err := proto.Unmarshal(plain, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Converters are the client's converters through the codec, failure messages and stack traces included.
func (c *Codec) Converters() (converter.DataConverter, converter.FailureConverter) {
	data := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	return data, temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: data, EncodeCommonAttributes: true})
}
