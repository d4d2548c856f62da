package web

import "net/http"

// SpaceConfig holds what the own space needs.
type SpaceConfig struct{}

func (s *Server) spaceRoutes(mux *http.ServeMux) {}
