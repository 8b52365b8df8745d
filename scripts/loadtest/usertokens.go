package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signUserTokens returns the Authorization header of every user of the run,
// signed up front so that signing costs the load nothing: HS256 with secret,
// or RS256 with the PEM RSA private key in keyFile; nil when neither is set
// (user authentication off on the server).
func signUserTokens(users int, secret, keyFile string) ([]string, error) {
	var method jwt.SigningMethod
	var key any
	switch {
	case secret != "" && keyFile != "":
		return nil, errors.New("set --user-jwt-secret or --user-jwt-key, not both")
	case secret != "":
		method, key = jwt.SigningMethodHS256, []byte(secret)
	case keyFile != "":
		pemData, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("--user-jwt-key: %w", err)
		}
		k, err := jwt.ParseRSAPrivateKeyFromPEM(pemData)
		if err != nil {
			return nil, fmt.Errorf("--user-jwt-key %s: %w", keyFile, err)
		}
		method, key = jwt.SigningMethodRS256, k
	default:
		return nil, nil
	}
	exp := time.Now().Add(24 * time.Hour).Unix()
	out := make([]string, users)
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := w; u < users; u += len(errs) {
				s, err := jwt.NewWithClaims(method, jwt.MapClaims{"sub": userID(u), "exp": exp}).SignedString(key)
				if err != nil {
					errs[w] = err
					return
				}
				out[u] = "Bearer " + s
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
