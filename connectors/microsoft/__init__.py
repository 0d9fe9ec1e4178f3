"""connectors/microsoft"""
