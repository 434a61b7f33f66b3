"""What to say: answers chosen from the knowledge base as structured data (title, blocks,
buttons, citations), in the user's language; bot/rendering shows them on each channel."""
