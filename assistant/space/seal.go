package space

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeySize is the length of a secret key: 32 bytes (AES-256).
const KeySize = 32

// sealVersion is the first byte of every sealed value: the format (a key id of 4 bytes, a
// 12-byte nonce, the AES-256-GCM ciphertext). A new format gets a new number.
const sealVersion = 1

// ErrSealed means a sealed value cannot be opened: it was sealed under a key the Sealer does
// not hold (a key retired too early) or it was tampered with.
var ErrSealed = errors.New("sealed value cannot be opened")

// Sealer encrypts the fields that must not be readable in the database (identity numbers) with
// AES-256-GCM. Every sealed value names the key it was sealed under, so keys can rotate: a new
// current key seals, and the previous keys still open what they sealed until Store.Reseal has
// sealed it again under the current one.
type Sealer struct {
	current uint32
	keys    map[uint32]cipher.AEAD
}

// NewSealer seals under current and opens with current and any of previous. Each is a secret
// of KeySize bytes (LOTS_SECRET_KEY); the sealing key is derived from it for this one purpose,
// so the same secret may serve other purposes too.
func NewSealer(current []byte, previous ...[]byte) (*Sealer, error) {
	s := &Sealer{keys: map[uint32]cipher.AEAD{}}
	for i, secret := range append([][]byte{current}, previous...) {
		id, aead, err := sealingKey(secret)
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", i+1, err)
		}
		if i == 0 {
			s.current = id
		}
		s.keys[id] = aead
	}
	return s, nil
}

// sealingKey derives the AES-256-GCM key of a secret, and its id.
func sealingKey(secret []byte) (uint32, cipher.AEAD, error) {
	if len(secret) != KeySize {
		return 0, nil, fmt.Errorf("want %d bytes, got %d", KeySize, len(secret))
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "lots space: sealed fields v1", KeySize)
	if err != nil {
		return 0, nil, err
	}
	sum := sha256.Sum256(append([]byte("lots space: key id\x00"), key...))
	block, err := aes.NewCipher(key)
	if err != nil {
		return 0, nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return 0, nil, err
	}
	return binary.BigEndian.Uint32(sum[:4]), aead, nil
}

// Seal encrypts plain under the current key. bound names what the value belongs to (a draft,
// a handoff): it is authenticated, so a sealed value moved to another row does not open.
func (s *Sealer) Seal(plain []byte, bound string) []byte {
	aead := s.keys[s.current]
	out := make([]byte, 5, 5+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = sealVersion
	binary.BigEndian.PutUint32(out[1:5], s.current)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, []byte(bound))
}

// Open decrypts a value Seal made for bound.
func (s *Sealer) Open(sealed []byte, bound string) ([]byte, error) {
	if len(sealed) < 5 || sealed[0] != sealVersion {
		return nil, ErrSealed
	}
	aead, ok := s.keys[binary.BigEndian.Uint32(sealed[1:5])]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key", ErrSealed)
	}
	rest := sealed[5:]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrSealed
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(bound))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

// isCurrent reports whether sealed was sealed under the current key.
func (s *Sealer) isCurrent(sealed []byte) bool {
	return len(sealed) >= 5 && sealed[0] == sealVersion && binary.BigEndian.Uint32(sealed[1:5]) == s.current
}
