"""Public credit information (公共信用信息): imports, provenance, disputes and repair."""
