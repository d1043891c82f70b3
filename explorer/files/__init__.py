"""The files part: model open/save/save as, recent files, drag and drop, the last folder used."""
