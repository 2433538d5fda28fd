package jrunc.core.task; /** Placeholder so the package exists; replaced by real code. */ final class Placeholder { private Placeholder() {} }
