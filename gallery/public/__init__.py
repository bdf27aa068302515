"""What visitors see: the gallery pages, consent and the notice, embedding, a gallery's colours."""
