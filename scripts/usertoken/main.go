// Command usertoken mints a user token for local trials of user
// authentication: an HS256 JWT signed with USER_JWT_SECRET, or an RS256 one
// signed with the PEM private key of -key, whose subject is the user.
//
//	USER_JWT_SECRET=... go run ./scripts/usertoken alice
//	go run ./scripts/usertoken -genkey users.key   # users.key and users.key.pub (USER_JWT_PUBLIC_KEY)
//	go run ./scripts/usertoken -key users.key -kid k1 -iss https://id.example -aud seckill alice
//
// It prints the token; send it as "Authorization: Bearer <token>".
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	keyFile := flag.String("key", "", "PEM RSA private key: sign RS256 with it instead of HS256 with USER_JWT_SECRET")
	kid := flag.String("kid", "", "kid header, to pick the key in a JWKS")
	iss := flag.String("iss", os.Getenv("USER_JWT_ISSUER"), "iss claim (default: USER_JWT_ISSUER)")
	aud := flag.String("aud", os.Getenv("USER_JWT_AUDIENCE"), "aud claim (default: USER_JWT_AUDIENCE)")
	ttl := flag.Duration("ttl", time.Hour, "how long the token is valid")
	genkey := flag.String("genkey", "", "write a new 2048-bit RSA private key to this file and its public key to <file>.pub, and exit")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: USER_JWT_SECRET=... go run ./scripts/usertoken [flags] USER_ID")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *genkey != "" {
		if err := writeKeyPair(*genkey); err != nil {
			fmt.Fprintln(os.Stderr, "usertoken:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	claims := jwt.RegisteredClaims{Subject: flag.Arg(0), IssuedAt: jwt.NewNumericDate(time.Now()),
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(*ttl)), Issuer: *iss}
	if *aud != "" {
		claims.Audience = jwt.ClaimStrings{*aud}
	}
	method, key, err := signingKey(*keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "usertoken:", err)
		os.Exit(2)
	}
	tok := jwt.NewWithClaims(method, claims)
	if *kid != "" {
		tok.Header["kid"] = *kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "usertoken:", err)
		os.Exit(1)
	}
	fmt.Println(s)
}

// writeKeyPair writes a new RSA private key (PKCS #1 PEM, mode 0600) to
// path and its public key (PKIX PEM) to path.pub.
func writeKeyPair(path string) error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(path+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
}

// signingKey returns RS256 with the private key in keyFile, or HS256 with
// USER_JWT_SECRET when keyFile is empty.
func signingKey(keyFile string) (jwt.SigningMethod, any, error) {
	if keyFile != "" {
		pemData, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, nil, err
		}
		k, err := jwt.ParseRSAPrivateKeyFromPEM(pemData)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", keyFile, err)
		}
		return jwt.SigningMethodRS256, k, nil
	}
	secret := os.Getenv("USER_JWT_SECRET")
	if secret == "" {
		return nil, nil, fmt.Errorf("set USER_JWT_SECRET (as the server has it), or -key for RS256")
	}
	return jwt.SigningMethodHS256, []byte(secret), nil
}
