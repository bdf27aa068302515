"""The offline demo: sample statements served with the Vimeo stand-in (:mod:`gallery.vimeo.standin`).

Together they are the offline double of the real service; no setting can switch them on.
"""
