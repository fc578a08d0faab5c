//go:build ignore

package core

import (
	_ "embed"

	"example.com/bfm/migrations"
)

//go:embed 20250115000000_bootstrap_solution.up.sql
var upSQL string

//go:embed 20250115000000_bootstrap_solution.down.sql
var downSQL string

func init() {
	migrations.GlobalRegistry.Register(&migrations.MigrationScript{
		Schema:       "", // dynamic
		Version:      "20250115000000",
		Name:         "bootstrap_solution",
		Connection:   "core",
		Backend:      "postgresql",
		UpSQL:        upSQL,
		DownSQL:      downSQL,
		Dependencies: []string{"create_orgs", `create_users`},
		StructuredDependencies: []migrations.Dependency{
			{Connection: "core", Schema: "core", Target: "create_regions", TargetType: "name"},
			{Target: "20250101000000", TargetType: "version", RequiresTable: "regions"},
		},
		Tags: []string{"example=demo", "tier=optional"},
	})
}
