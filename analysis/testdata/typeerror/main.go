// Command typeerror does not type-check: the analysis fails with the
// compiler's positioned message.
package main

func main() {
	var n int = "forty-two"
	_ = n
}
