// Command hello is a tiny program that imagebuild's tests package into an
// image: it prints a greeting, its arguments and $GREETING.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Printf("hello from tide: args=%s greeting=%s\n", strings.Join(os.Args[1:], ","), os.Getenv("GREETING"))
}
