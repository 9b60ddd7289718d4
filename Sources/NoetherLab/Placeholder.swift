public enum PlaceholderLab {}
