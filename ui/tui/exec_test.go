package tui

import "os/exec"

func runScript(path string, args ...string) error { return exec.Command(path, args...).Run() }
