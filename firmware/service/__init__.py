"""The box as a service: the run loop with its health check, systemd's notify
protocol, and the machine config."""
