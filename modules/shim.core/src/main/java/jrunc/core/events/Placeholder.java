package jrunc.core.events; /** Placeholder so the package exists; replaced by real code. */ final class Placeholder { private Placeholder() {} }
