package main

import (
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Codec is the payload codec every process of the project shares (contract.json "encryption"),
// so that what one language encrypts the others decrypt.
type Codec struct {
	keyID string
	aeads map[string]cipher.AEAD
}

// NewCodec takes PAYLOAD_KEYS' comma-separated id:key pairs, any of which decrypts, and
// encrypts with keyID, by default the first. Its errors never show a key.
func NewCodec(keys, keyID string) (*Codec, error) {
	enc := contract.Encryption
	c := &Codec{keyID: keyID, aeads: map[string]cipher.AEAD{}}
	for pair := range strings.SplitSeq(keys, ",") {
		id, encoded, _ := strings.Cut(pair, ":")
		// Strict decoding still skips line breaks, which standard base64 never holds.
		key, err := base64.StdEncoding.Strict().DecodeString(encoded)
		if err != nil || len(key) != enc.KeyBytes || strings.ContainsAny(encoded, "\r\n") ||
			c.aeads[id] != nil || !matches(enc.KeyIDPattern)(id) {
			return nil, invalidSetting(enc.KeysVariable, "", enc.KeysRule)
		}
		block, _ := aes.NewCipher(key) // fails only for a key length other than 16, 24 or 32
		// A fresh random nonce in front of the ciphertext and tag is exactly the shared format.
		c.aeads[id], _ = cipher.NewGCMWithRandomNonce(block)
		c.keyID = cmp.Or(c.keyID, id)
	}
	if c.aeads[c.keyID] == nil {
		return nil, invalidSetting(enc.KeyIDVariable, c.keyID, enc.KeyIDRule)
	}
	return c, nil
}

// Encode encrypts each whole serialized payload with the current key, whose id it records.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{Data: c.aeads[c.keyID].Seal(nil, nil, plain, nil), Metadata: map[string][]byte{
			converter.MetadataEncoding:        []byte(contract.Encryption.Encoding),
			contract.Encryption.KeyIDMetadata: []byte(c.keyID),
		}}
	}
	return out, nil
}

// Decode decrypts the encrypted payloads with the key each names and passes the others through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		out[i] = p
		if string(p.Metadata[converter.MetadataEncoding]) != contract.Encryption.Encoding {
			continue
		}
		id := string(p.Metadata[contract.Encryption.KeyIDMetadata])
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

// Converters are the client's converters through the codec; encoding the common attributes
// puts failure messages and stack traces in encrypted payloads too.
func (c *Codec) Converters() (converter.DataConverter, converter.FailureConverter) {
	data := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	return data, temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: data, EncodeCommonAttributes: true,
	})
}
