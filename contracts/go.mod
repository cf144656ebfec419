// contract.json for Go code. Never published: each Go module of the project requires it with
// a replace directive to this folder, so the path only has to be unique (a dot keeps it out of
// the standard library's name space).
module calc.local/contracts

go 1.26.0
