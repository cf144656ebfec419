package main

// Payload encryption in the format every process of the project shares (contracts/contract.json
// "encryption"), so that a payload encrypted by one language is decrypted by the others.

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Codec is a converter.PayloadCodec that encrypts each payload, metadata and data together,
// with AES-256-GCM: data = nonce || ciphertext || tag, the key id in the metadata.
type Codec struct {
	keyID string
	aeads map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// NewCodec returns a codec that encrypts with the key keyID and decrypts with any of keys.
func NewCodec(keys payloadKeys, keyID string) (*Codec, error) {
	c := &Codec{keyID: keyID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if len(k.Secret) != KeyBytes {
			return nil, fmt.Errorf("key %q has %d bytes, want %d", k.ID, len(k.Secret), KeyBytes)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		// A fresh random 12-byte nonce put in front of the ciphertext is exactly the shared
		// format, so the standard library does the nonce handling.
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
	}
	if _, ok := c.aeads[keyID]; !ok {
		return nil, fmt.Errorf("no key with id %q", keyID)
	}
	return c, nil
}

// Encode encrypts every payload with the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.keyID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("serialize payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncryptedEncoding),
				KeyIDMetadata:              []byte(c.keyID),
			},
			Data: aead.Seal(nil, nil, plain, nil),
		}
	}
	return out, nil
}

// Decode decrypts the encrypted payloads with the key their metadata names and passes the
// others through unchanged.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncryptedEncoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[KeyIDMetadata])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("payload encrypted with unknown key id %q", id)
		}
		plain, err := aead.Open(nil, nil, p.GetData(), nil)
		if err != nil {
			return nil, fmt.Errorf("decrypt payload with key id %q: %w", id, err)
		}
		original := &commonpb.Payload{}
		if err := proto.Unmarshal(plain, original); err != nil {
			return nil, fmt.Errorf("decrypted payload with key id %q is not a payload: %w", id, err)
		}
		out[i] = original
	}
	return out, nil
}

// Converters returns the client's data and failure converters: with encryption on, payloads
// and failure messages and stack traces go through the codec; off, both are nil, which leaves
// the SDK's defaults.
func Converters(cfg Settings) (converter.DataConverter, converter.FailureConverter, error) {
	if !cfg.PayloadEncryption {
		return nil, nil, nil
	}
	codec, err := NewCodec(cfg.PayloadKeys, cfg.PayloadKeyID)
	if err != nil {
		return nil, nil, err
	}
	data := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
	failures := temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          data,
		EncodeCommonAttributes: true,
	})
	return data, failures, nil
}
