package jrunc.core.manager; /** Placeholder so the package exists; replaced by real code. */ final class Placeholder { private Placeholder() {} }
