"""Running the daemon as a service: Prometheus metrics, health endpoints, systemd notifications.

Below the app layer (no Textual): the daemon wires it; the engine only ever sees a listener of its
events and a client factory.
"""
