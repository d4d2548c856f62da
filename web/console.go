package web

import "net/http"

// ConsoleConfig holds what the stewards' console needs.
type ConsoleConfig struct{}

func (s *Server) consoleRoutes(mux *http.ServeMux) {}
