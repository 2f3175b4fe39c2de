// Command reflect calls a method chosen at run time: the linker keeps every exported method.
package main

import (
	"fmt"
	"os"
	"reflect"
)

type T struct{}

func (T) Hello() string { return "hello" }

func main() {
	name := "Hello"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	m := reflect.ValueOf(T{}).MethodByName(name)
	if m.IsValid() {
		fmt.Println(m.Call(nil)[0])
	}
}
