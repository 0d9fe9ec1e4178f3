"""connectors/google"""
