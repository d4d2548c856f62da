package store

// The query templates and their filling-in, for tests that EXPLAIN what the store runs.
var (
	SearchExactSQL  = searchExactSQL
	SearchHybridSQL = searchHybridSQL
	WithIndex       = withIndex
	RRFK            = rrfK
)
