package server

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// writeEnvTable writes one line per environment variable of spec (a pointer
// to a struct read by envconfig.Process): key, type, default, whether it is
// required, and description, read from the same struct tags envconfig reads.
//
// envconfig's own Usage renders through text/template, and linking
// text/template makes the linker keep every exported method of every type
// (templates call methods by name): that doubles the size of each binary.
func writeEnvTable(w io.Writer, spec any) {
	fmt.Fprintln(w, "KEY\tTYPE\tDEFAULT\tREQUIRED\tDESCRIPTION")
	writeEnvFields(w, reflect.TypeOf(spec).Elem())
}

func writeEnvFields(w io.Writer, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("ignored") == "true" {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			writeEnvFields(w, f.Type)
			continue
		}
		key := f.Tag.Get("envconfig")
		if key == "" {
			key = strings.ToUpper(f.Name)
		}
		required := f.Tag.Get("required")
		if b, err := strconv.ParseBool(required); err == nil {
			required = strconv.FormatBool(b)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", key, typeName(f.Type), f.Tag.Get("default"), required, f.Tag.Get("desc"))
	}
}

// typeName describes a variable's type in the words envconfig uses.
func typeName(t reflect.Type) string {
	if t == reflect.TypeFor[time.Duration]() {
		return "Duration"
	}
	switch t.Kind() {
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "True or False"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "Integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "Unsigned Integer"
	case reflect.Float32, reflect.Float64:
		return "Float"
	case reflect.Slice:
		return "Comma-separated list of " + typeName(t.Elem())
	case reflect.Map:
		return "Comma-separated list of " + typeName(t.Key()) + ":" + typeName(t.Elem()) + " pairs"
	}
	return t.String()
}
