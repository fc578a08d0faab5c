package core

// Schema: "ignored in a comment"
const other = "Schema: \"nope\""

func init() {
	migrations.GlobalRegistry.Register(&migrations.MigrationScript{
		Schema: "core",
		Tags:   []string{},
	})
}
