"""HTTP transport: the server carrying both surfaces, and the faults that reshape answers."""
