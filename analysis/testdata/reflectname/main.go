// Command reflectname calls a method chosen at run time through reflection,
// which keeps every exported method of every runtime type.
package main

import (
	"fmt"
	"os"
	"reflect"
)

type greeter struct{}

func (greeter) Hello() string { return "hello" }
func (greeter) Bye() string   { return "bye" }

func main() {
	name := "Hello"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	m := reflect.ValueOf(greeter{}).MethodByName(name)
	fmt.Println(m.Call(nil)[0])
}
