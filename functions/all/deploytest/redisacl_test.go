package deploytest

import (
	"slices"

	"seckill/functions/server"
)

// usersScript is the script every deployed Redis starts through: it writes
// the ACL users (deploy/redis-users.sh), then runs redis-server.
const usersScript = "redis-users.sh"

// redisServerArgs returns the redis-server command line that cmd runs
// through the users script mounted at script (sh script redis-server ...),
// and whether cmd is such a command.
func redisServerArgs(cmd []string, script string) ([]string, bool) {
	if len(cmd) > 2 && cmd[0] == "sh" && cmd[1] == script && cmd[2] == "redis-server" {
		return cmd[2:], true
	}
	return nil, false
}

// takesAdminToken reports whether the registry's function name serves a
// route that takes the admin token: only those are given it.
func takesAdminToken(name string) bool {
	fn, _ := registryFunction(name)
	return slices.ContainsFunc(fn.Routes, func(r server.Route) bool { return r.Admin || r.AdminActsForUser })
}
