"""The Heat driver: clusters as Heat stacks of heat-templates/kubernetes."""
