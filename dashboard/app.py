"""Placeholder entry point of the Tunesmith dashboard (replaced by the real app)."""

import streamlit as st

st.title("Tunesmith")
st.write("Optimize LM prompts and pipelines on your own data. The full dashboard is coming.")
