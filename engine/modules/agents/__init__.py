"""Modules that act: ReAct and CodeAct over tools, ProgramOfThought writing code the sandbox
runs."""
