"""connectors/sandbox"""
